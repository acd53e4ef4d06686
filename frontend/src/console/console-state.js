/* Parley operator console: what the console knows, with no DOM and no network.
 * Conversations keep their messages by seq (so a message delivered twice is stored once), the
 * operator's own read position (unread = last seq - seen seq), the visitor's read position
 * (seen ticks), who is typing, and the messages still on their way out (the outbox). */

// A typing indicator that gets no "stopped" (the typist closed the tab) fades after this long.
var TYPING_FADE_MS = 6000;

function Conversation(summary) {
  this.id = summary.id;
  this.summary = summary;
  this.messages = new Map(); // seq -> message
  this.hasOlder = true; // older messages may exist below the oldest loaded
  // A summary without an unread count (a conversation's detail) says nothing read: its members say.
  this.seenSeq =
    summary.unread === null || summary.unread === undefined ? 0 : Math.max(0, (summary.last_seq || 0) - summary.unread);
  this.partnerSeenSeq = 0; // the visitor's last seen seq: my messages up to it get "seen"
  this.visitorPresence = null; // "online" | "away" | "offline" once the detail or a presence frame said so
  this.typing = null; // {name, until}
  this.outbox = new Map(); // client_msg_id -> {text, state: "sending"|"waiting"|"failed", error}
  this.notes = []; // local lines: command answers, errors ({text, afterSeq})
}

Conversation.prototype.lastSeq = function () {
  var last = this.summary.last_seq || 0;
  this.messages.forEach(function (_m, seq) {
    if (seq > last) last = seq;
  });
  return last;
};

Conversation.prototype.oldestSeq = function () {
  var oldest = null;
  this.messages.forEach(function (_m, seq) {
    if (oldest === null || seq < oldest) oldest = seq;
  });
  return oldest;
};

Conversation.prototype.unread = function () {
  return Math.max(0, this.lastSeq() - this.seenSeq);
};

/** Store a message; false if this seq was there already (a repeat is never shown twice). */
Conversation.prototype.add = function (message, myId) {
  if (this.messages.has(message.seq)) return false;
  this.messages.set(message.seq, message);
  if (message.seq > (this.summary.last_seq || 0)) this.summary.last_seq = message.seq;
  if (message.author_id === myId) {
    this.seenSeq = Math.max(this.seenSeq, message.seq); // the server counts one's own message as seen
    this.outbox.delete(message.client_msg_id);
  }
  if (this.typing && message.author_id !== myId) this.typing = null; // they sent what they typed
  return true;
};

/** The messages an operator reads, in seq order: the bot's quick-reply chips (shown to the
 * visitor under the input, not said) are left out; the visitor's pick is a message of its own. */
Conversation.prototype.sorted = function () {
  return Array.from(this.messages.values())
    .filter(function (message) {
      return !isQuickReplies(message);
    })
    .sort(function (a, b) {
      return a.seq - b.seq;
    });
};

Conversation.prototype.lastMessage = function () {
  var shown = this.sorted();
  return shown.length ? shown[shown.length - 1] : null;
};

function isQuickReplies(message) {
  return message.kind === "bot" && message.body && message.body.kind === "quick_replies";
}

Conversation.prototype.isOpen = function () {
  return this.summary.status !== "closed";
};

Conversation.prototype.setTyping = function (name, active, now) {
  this.typing = active ? { name: name, until: now + TYPING_FADE_MS } : null;
};

Conversation.prototype.typingName = function (now) {
  return this.typing && this.typing.until > now ? this.typing.name : null;
};

function ConsoleState() {
  this.me = null; // {uid, uname, role}
  this.channels = new Map(); // id -> channel view
  this.queues = new Map(); // channel id -> [conversation summary], next served first
  this.conversations = new Map(); // id -> Conversation (mine: open, and the ones closed here)
  this.selectedId = null;
  this.available = true;
  this.availabilityToggles = 0; // flips of the switch: a load begun before one must not undo it
  this.connection = "offline";
}

ConsoleState.prototype.upsert = function (summary) {
  var known = this.conversations.get(summary.id);
  if (!known) {
    known = new Conversation(summary);
    this.conversations.set(summary.id, known);
    return known;
  }
  var lastSeq = Math.max(known.lastSeq(), summary.last_seq || 0);
  known.summary = Object.assign({}, known.summary, summary, { last_seq: lastSeq });
  if (summary.unread !== undefined && summary.unread !== null) {
    known.seenSeq = Math.max(known.seenSeq, (summary.last_seq || 0) - summary.unread);
  }
  return known;
};

ConsoleState.prototype.selected = function () {
  return this.selectedId ? this.conversations.get(this.selectedId) || null : null;
};

/** Open conversations first, then by the newest activity (the newest message's seq is per
 * conversation, so the time of the last message or of the summary decides). */
ConsoleState.prototype.ordered = function () {
  function activity(c) {
    var last = c.lastMessage();
    return last ? last.created_at : c.summary.last_activity_at || c.summary.created_at || "";
  }
  return Array.from(this.conversations.values()).sort(function (a, b) {
    if (a.isOpen() !== b.isOpen()) return a.isOpen() ? -1 : 1;
    return activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0;
  });
};

ConsoleState.prototype.waitingCount = function () {
  var count = 0;
  this.queues.forEach(function (list) {
    count += list.length;
  });
  return count;
};

export { Conversation, ConsoleState };
