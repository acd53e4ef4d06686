/* Parley operator console: reading the server into the state. Lists come over HTTP (channels,
 * each channel's queue, the operator's conversations); messages come over the WebSocket
 * (history pages, then every new one through the client, which resumes tracked conversations
 * after a reconnect). */
import { callApi } from "./console-http.js";

var PAGE_SIZE = 30; // messages per history page: a screenful and some
// queue.changed frames come in bursts (a drain gives out several): read the list once per burst.
var QUEUE_RELOAD_DELAY_MS = 150;

function Sync(client, state, redraw) {
  this.client = client;
  this.state = state;
  this.redraw = redraw; // () -> void: draw everything again
  this.queueTimers = {};
}

/** GET (or ``init.method``) a JSON document with the operator's token; a refusal becomes a ParleyError. */
Sync.prototype.getJson = function (path, init) {
  return callApi(this.client, path, init);
};

/** Everything, from scratch: after login, and after a reconnect (pushes may have been missed). */
Sync.prototype.loadAll = function () {
  var self = this;
  return this.getJson("/channels")
    .then(function (answer) {
      self.state.channels = new Map(
        answer.channels.map(function (channel) {
          return [channel.id, channel];
        }),
      );
      return Promise.all([self.loadQueues(), self.loadMine(), self.loadAvailability()]);
    })
    .then(function () {
      self.redraw();
    });
};

Sync.prototype.loadQueues = function () {
  var self = this;
  return Promise.all(
    Array.from(this.state.channels.keys()).map(function (id) {
      return self.loadQueue(id);
    }),
  );
};

Sync.prototype.loadQueue = function (channelId) {
  var self = this;
  return this.getJson("/channels/" + encodeURIComponent(channelId) + "/queue").then(function (answer) {
    self.state.queues.set(channelId, answer.conversations);
  });
};

Sync.prototype.queueChanged = function (channelId) {
  var self = this;
  clearTimeout(this.queueTimers[channelId]);
  this.queueTimers[channelId] = setTimeout(function () {
    self.loadQueue(channelId).then(self.redraw, function () {
      /* the next change or reconnect reads it */
    });
  }, QUEUE_RELOAD_DELAY_MS);
};

/** The operator's open conversations (with unread counts), each with its newest page. */
Sync.prototype.loadMine = function () {
  var self = this;
  return this.getJson("/me/conversations").then(function (answer) {
    var open = new Set();
    answer.conversations.forEach(function (summary) {
      open.add(summary.id);
      var known = self.state.conversations.has(summary.id);
      self.state.upsert(summary);
      if (!known) self.loadConversation(summary.id);
    });
    self.state.conversations.forEach(function (conversation) {
      // Gone from the list while we were away: closed, transferred or left meanwhile.
      if (conversation.isOpen() && !open.has(conversation.id)) conversation.summary.status = "closed";
    });
  });
};

/** The available / busy toggle as the channels see it (this operator listed as available). */
Sync.prototype.loadAvailability = function () {
  var self = this;
  var first = this.state.channels.keys().next();
  if (first.done) return Promise.resolve();
  var toggles = this.state.availabilityToggles;
  return this.getJson("/channels/" + encodeURIComponent(first.value) + "/operators").then(function (answer) {
    var me = answer.operators.filter(function (op) {
      return op.user_id === self.state.me.uid;
    })[0];
    // The operator flipped the switch while this was read: their choice is newer than the answer.
    if (toggles !== self.state.availabilityToggles) return;
    if (me) self.state.available = me.accepting_chats; // the switch, not "has room"
  });
};

/** The visitor's rating of a conversation (it comes after the close): read back and shown. A
 * rating is only given once the conversation is closed, so the detail read for it also closes
 * the console's copy should the close's own update not have been applied (non-message frames
 * have no replay yet, issue 17). */
Sync.prototype.loadRating = function (conversation) {
  var self = this;
  return this.getJson("/conversations/" + encodeURIComponent(conversation.id)).then(function (detail) {
    conversation.summary.rating = detail.rating;
    if (detail.status === "closed" && conversation.isOpen()) {
      conversation.summary.status = "closed";
      self.client.untrack(conversation.id);
    }
    self.redraw();
  });
};

/** A conversation of this operator: its summary, the visitor's read position, its newest page. */
Sync.prototype.loadConversation = function (conversationId) {
  var self = this;
  var path = "/conversations/" + encodeURIComponent(conversationId);
  return this.getJson(path)
    .then(function (detail) {
      var conversation = self.state.upsert(detail);
      detail.members.forEach(function (member) {
        if (member.role === "visitor") {
          conversation.partnerSeenSeq = Math.max(conversation.partnerSeenSeq, member.last_seen_seq);
          // Presence frames tell changes only: where the visitor is now comes with the detail.
          if (member.presence) conversation.visitorPresence = member.presence;
        }
        if (member.user_id === self.state.me.uid)
          conversation.seenSeq = Math.max(conversation.seenSeq, member.last_seen_seq);
      });
      return self.loadNewest(conversation);
    })
    .then(self.redraw, function (error) {
      self.redraw();
      throw error;
    });
};

Sync.prototype.loadNewest = function (conversation) {
  var self = this;
  var query = { conversation_id: conversation.id, limit: PAGE_SIZE };
  return this.client.request("history.get", query).then(function (page) {
    page.messages.forEach(function (message) {
      conversation.add(message, self.state.me.uid);
    });
    conversation.hasOlder = page.has_more;
    if (conversation.isOpen()) self.client.track(conversation.id, page.last_seq);
  });
};

/** The page before the oldest message shown (scrolling back). */
Sync.prototype.loadOlder = function (conversation) {
  var self = this;
  var oldest = conversation.oldestSeq();
  if (!conversation.hasOlder || oldest === null || this.loadingOlder) return Promise.resolve();
  this.loadingOlder = true;
  var query = { conversation_id: conversation.id, before_seq: oldest, limit: PAGE_SIZE };
  return this.client
    .request("history.get", query)
    .then(function (page) {
      page.messages.forEach(function (message) {
        conversation.add(message, self.state.me.uid);
      });
      conversation.hasOlder = page.has_more;
      self.redraw();
    })
    .finally(function () {
      self.loadingOlder = false;
    });
};

/** Accept a waiting conversation: it becomes this operator's. */
Sync.prototype.take = function (conversationId) {
  var self = this;
  var path = "/conversations/" + encodeURIComponent(conversationId) + "/take";
  return this.getJson(path, { method: "POST" }).then(function (summary) {
    var known = self.state.conversations.has(summary.id);
    self.state.upsert(summary);
    self.state.queues.forEach(function (list, channelId) {
      self.state.queues.set(
        channelId,
        list.filter(function (waiting) {
          return waiting.id !== summary.id;
        }),
      );
    });
    return known ? null : self.loadConversation(summary.id);
  });
};

/** The other operators of a conversation's channel, for a transfer. */
Sync.prototype.transferTargets = function (conversation) {
  var self = this;
  var path = "/channels/" + encodeURIComponent(conversation.summary.channel_id) + "/operators";
  return this.getJson(path).then(function (answer) {
    return answer.operators.filter(function (op) {
      return op.user_id !== self.state.me.uid;
    });
  });
};

export { Sync };
