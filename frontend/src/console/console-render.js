/* Parley operator console: drawing the state into the page. Every text from the network goes
 * in through textContent, never as HTML; the console's own words go through t() (console-i18n). */
import { agentNote, agentText } from "./console-agents.js";
import { t } from "./console-i18n.js";

function connectionWords(status) {
  if (status === "connecting") return t("Connecting…");
  if (status === "online") return t("Online");
  if (status === "reconnecting") return t("Connection lost — reconnecting…");
  if (status === "offline") return t("Offline");
  if (status === "closed") return t("Signed out");
  return status;
}
// Within this many pixels of the bottom, the message list follows new messages down.
var STICK_TO_BOTTOM_PX = 48;

function el(tag, attributes, children) {
  var node = document.createElement(tag);
  Object.keys(attributes || {}).forEach(function (name) {
    var value = attributes[name];
    if (value === null || value === undefined || value === false) return;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  });
  (children || []).forEach(function (child) {
    if (child) node.appendChild(child);
  });
  return node;
}

/** @returns {any} the page's element (an input, a dialog...) */
function byId(id) {
  return document.getElementById(id);
}

/** List rows kept by key across redraws. A redraw updates a row's contents, never replaces the
 * row or its buttons: a click whose press lands before a message redraws the list and whose
 * release lands after it is otherwise lost (the browser sends it to no button; CI saw the
 * second console of an operator ignore a click on a conversation that had just been answered). */
function KeyedRows() {
  this.rows = new Map();
}

/** The row for ``key``, made by ``make()`` the first time. */
KeyedRows.prototype.row = function (key, make) {
  var row = this.rows.get(key);
  if (!row) {
    row = make();
    this.rows.set(key, row);
  }
  return row;
};

/** Forget the rows not drawn this time (closed or taken conversations), so none leaks. */
KeyedRows.prototype.forgetAllBut = function (drawn) {
  var keep = new Set(drawn);
  this.rows.forEach(function (row, key, rows) {
    if (!keep.has(row)) rows.delete(key);
  });
};

/** Make ``parent``'s children exactly ``nodes``, in order, moving only what is out of place. */
function place(parent, nodes) {
  nodes.forEach(function (node, index) {
    if (parent.children[index] !== node) parent.insertBefore(node, parent.children[index] || null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}

var conversationRows = new KeyedRows();
// A conversation row's button -> its spans (made once with the row, shown or left out).
/** @type {WeakMap<HTMLElement, Record<string, HTMLElement>>} */
var rowParts = new WeakMap();
var waitingRows = new KeyedRows();
/** What a click on a conversation's row does; renderList sets it (console-app's selection).
 * @type {(conversationId: string) => void} */
var selectConversation = function () {};

/** What a message says, in one line of text: bot bodies and actions included. */
function messageText(message) {
  if (message.kind === "erased") return t("Message removed"); // a tombstone (docs/privacy.md)
  var body = message.body;
  if (typeof body === "string") return body;
  if (!body || typeof body !== "object") return "";
  if (message.kind === "action") return "[action: " + body.meaning + "]";
  if (message.kind === "file")
    return (
      (body.text ? body.text + " " : "") +
      "[" +
      body.files
        .map(function (file) {
          return file.name;
        })
        .join(", ") +
      "]"
    );
  return agentText(body) || body.text || body.title || body.caption || body.name || body.alt || "[" + body.kind + "]";
}

function clock(iso) {
  var date = new Date(iso);
  return isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function since(iso, now) {
  var minutes = Math.floor((now - new Date(iso).getTime()) / 60000);
  return minutes < 1 ? t("just now") : t("{minutes} min", { minutes: minutes });
}

/** The visitor by what they gave: the site's signed identity (its name), else the e-mail they
 * left, else the name the chat knows them by (an anonymous device's "Visitor 1a2b3c"). */
function visitorName(summary) {
  if (summary.visitor_verified && summary.visitor_name) return summary.visitor_name;
  return summary.visitor_email || summary.visitor_name || t("Visitor");
}

function renderHeader(state) {
  byId("me-name").textContent = state.me ? state.me.uname : "";
  byId("availability").checked = state.available;
  byId("availability-label").textContent = state.available ? t("Available") : t("Busy");
  var connection = byId("connection");
  connection.textContent = connectionWords(state.connection);
  connection.dataset.status = state.connection;
}

function renderQueues(state, onTake) {
  var root = byId("queues");
  root.replaceChildren();
  var shown = [];
  byId("queue-count").textContent = String(state.waitingCount());
  var now = Date.now();
  state.channels.forEach(function (channel) {
    var waiting = state.queues.get(channel.id) || [];
    var items = waiting.map(function (summary) {
      var row = waitingRows.row(summary.id, function () {
        var take = el("button", {
          type: "button",
          className: "take",
          text: t("Accept"),
          onclick: function () {
            onTake(summary.id, take);
          },
        });
        return el("li", { className: "waiting", "data-conversation-id": summary.id }, [el("span"), take]);
      });
      var take = row.lastChild;
      take.setAttribute("aria-label", t("Accept the conversation with {name}", { name: visitorName(summary) }));
      row.firstChild.replaceChildren(
        ...[
          el("span", { className: "who", text: visitorName(summary) }),
          el("span", { className: "since", text: t("waiting {since}", { since: since(summary.created_at, now) }) }),
          summary.visitor_preview ? el("span", { className: "preview", text: summary.visitor_preview }) : null,
        ].filter(Boolean),
      );
      return row;
    });
    var empty = waiting.length ? null : el("p", { className: "empty", text: t("Nobody is waiting.") });
    root.appendChild(
      el("section", { className: "queue", "data-channel-id": channel.id }, [
        el("h3", { text: channel.name + " (" + waiting.length + ")" }),
        empty,
        el("ul", {}, items),
      ]),
    );
    shown = shown.concat(items);
  });
  waitingRows.forgetAllBut(shown);
}

/** One conversation's row: who, unread count, tags, and a preview of its newest message. */
function listItem(state, conversation) {
  var last = conversation.lastMessage();
  var unread = conversation.unread();
  var rating = conversation.summary.rating;
  var row = conversationRows.row(conversation.id, function () {
    var id = conversation.id;
    var button = el("button", {
      type: "button",
      className: "select",
      onclick: function () {
        selectConversation(id);
      },
    });
    rowParts.set(button, {
      who: el("span", { className: "who" }),
      unread: el("span", { className: "unread" }),
      closed: el("span", { className: "closed-tag", text: t("closed") }),
      rating: el("span", { className: "rating-tag" }),
      left: el("span", { className: "left-tag", text: t("left") }),
      preview: el("span", { className: "preview" }),
    });
    return el("li", { className: "conversation", "data-conversation-id": id }, [button]);
  });
  row.setAttribute("data-unread", String(unread));
  var button = /** @type {HTMLElement} */ (row.firstChild);
  if (conversation.id === state.selectedId) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
  // The same spans every time, their words changed in place (see KeyedRows): the one under the
  // pointer is never swapped for another while a click is on its way.
  var parts = rowParts.get(button);
  setText(parts.who, visitorName(conversation.summary));
  setText(parts.unread, String(unread));
  parts.unread.setAttribute("aria-label", t("{n} unread", { n: unread }));
  if (rating) {
    setText(parts.rating, "★" + rating.rating);
    parts.rating.setAttribute("aria-label", t("rated {n} out of 5", { n: rating.rating }));
  }
  setText(parts.preview, last ? messageText(last) : conversation.summary.visitor_preview || "");
  place(
    button,
    [
      parts.who,
      unread ? parts.unread : null,
      conversation.isOpen() ? null : parts.closed,
      rating ? parts.rating : null,
      conversation.isOpen() && conversation.visitorPresence === "offline" ? parts.left : null,
      parts.preview,
    ].filter(Boolean),
  );
  return row;
}

/** A node's text, written only when it changed (a write replaces its text node). */
function setText(/** @type {HTMLElement} */ node, /** @type {string} */ text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Whether a closed conversation matches the operator's search (its visitor, e-mail or text). */
function matches(conversation, query) {
  if (!query) return true;
  var words = [conversation.summary.visitor_name, conversation.summary.visitor_email]
    .concat(conversation.sorted().map(messageText))
    .join("\n")
    .toLowerCase();
  return words.indexOf(query.toLowerCase()) >= 0;
}

/** Open conversations in the list; closed ones out of the way, under "Closed", searchable. */
function renderList(state, onSelect) {
  var list = byId("conversation-list");
  var closedList = byId("closed-list");
  var query = byId("closed-filter").value.trim();
  selectConversation = onSelect;
  var open = [];
  var closed = 0;
  var shownClosed = [];
  state.ordered().forEach(function (conversation) {
    if (conversation.isOpen()) {
      open.push(listItem(state, conversation));
      return;
    }
    closed += 1;
    if (matches(conversation, query)) shownClosed.push(listItem(state, conversation));
  });
  place(list, open);
  place(closedList, shownClosed);
  conversationRows.forgetAllBut(open.concat(shownClosed));
  byId("no-conversations").hidden = open.length > 0;
  byId("closed-count").textContent = String(closed);
  byId("closed-section").hidden = closed === 0;
}

function messageItem(message, conversation, myId) {
  if (message.kind === "notice" || message.kind === "erased") {
    // joined, left, transferred, closed: a line of the log, not a bubble; so is a tombstone (its
    // author's data was erased on request, docs/privacy.md).
    return el("li", { className: "system", "data-seq": String(message.seq) }, [
      el("span", { className: "body", text: messageText(message) }),
      el("time", { datetime: message.created_at, text: " · " + clock(message.created_at) }),
    ]);
  }
  var mine = message.author_id === myId;
  var role = mine ? "me" : message.author_role;
  var tick = null;
  if (mine) {
    var seen = conversation.partnerSeenSeq >= message.seq;
    tick = el("span", {
      className: "tick" + (seen ? " seen" : ""),
      text: seen ? "✓✓" : "✓",
      title: seen ? t("Seen") : t("Sent"),
      "aria-label": seen ? t("seen") : t("sent"),
    });
  }
  return el("li", { className: "message from-" + role, "data-seq": String(message.seq) }, [
    el("span", { className: "author", text: mine ? t("You") : message.author_name || message.author_role }),
    el("time", { datetime: message.created_at, text: clock(message.created_at) }),
    message.kind === "file" ? filesBody(message) : el("p", { className: "body", text: messageText(message) }),
    tick,
  ]);
}

/** A file message: images as thumbnails that open the original, other files as links; links are
 * signed for minutes, asked for through render.fileLink (console-app sets it to the client's). */
function filesBody(message) {
  var box = el("div", { className: "body files" });
  if (message.body.text) box.appendChild(el("p", { text: message.body.text }));
  message.body.files.forEach(function (file) {
    var link = el("a", { target: "_blank", rel: "noopener noreferrer", "data-file-id": file.file_id }, [
      file.thumbnail
        ? el("img", { alt: file.name, className: "thumbnail" })
        : el("span", { text: "⬇ " + file.name + " (" + file.content_type + ")" }),
    ]);
    function fresh() {
      var links = render.fileLink;
      if (!links) return;
      links(message.conversation_id, file.file_id).then(
        function (signed) {
          link.href = signed.url;
          var img = link.querySelector("img");
          if (img && img.getAttribute("src") !== signed.thumbnail_url) img.src = signed.thumbnail_url;
        },
        function () {
          link.title = t("This file is not available.");
        },
      );
    }
    link.addEventListener("mouseenter", fresh);
    link.addEventListener("focus", fresh);
    if (file.thumbnail) {
      // An image opens in the page's lightbox (render.showImage); a new tab with a modifier key.
      link.addEventListener("click", function (event) {
        if (!render.showImage || !link.href || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        render.showImage(link.href, file.name);
      });
    }
    fresh();
    box.appendChild(link);
  });
  return box;
}

function outboxWords(state) {
  if (state === "sending") return t("Sending…");
  if (state === "waiting") return t("Waiting for the connection…");
  return t("Not sent");
}

function outboxItem(clientMsgId, entry) {
  var words = outboxWords(entry.state) + (entry.error ? ": " + entry.error : "");
  return el("li", { className: "message from-me pending " + entry.state, "data-client-msg-id": clientMsgId }, [
    el("span", { className: "author", text: t("You") }),
    el("p", { className: "body", text: entry.text }),
    el("span", { className: "delivery", text: words }),
  ]);
}

function renderMessages(conversation, myId) {
  var scroller = byId("messages");
  var atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_TO_BOTTOM_PX;
  var fromBottom = scroller.scrollHeight - scroller.scrollTop;
  var list = byId("message-list");
  list.replaceChildren();
  var notes = conversation.notes.slice();
  conversation.sorted().forEach(function (message) {
    list.appendChild(messageItem(message, conversation, myId));
    while (notes.length && notes[0].afterSeq <= message.seq) list.appendChild(noteItem(notes.shift()));
  });
  notes.forEach(function (note) {
    list.appendChild(noteItem(note));
  });
  conversation.outbox.forEach(function (entry, id) {
    list.appendChild(outboxItem(id, entry));
  });
  byId("load-older").hidden = !conversation.hasOlder;
  scroller.scrollTop = atBottom ? scroller.scrollHeight : scroller.scrollHeight - fromBottom;
}

function noteItem(note) {
  return el("li", {
    className: "note" + (note.error ? " error" : ""),
    role: note.error ? "alert" : null,
    text: note.text,
  });
}

// What the visitor's presence means to the operator.
function presenceWords(presence) {
  if (presence === "online") return t("Visitor online");
  if (presence === "away") return t("Visitor away (chat not in view)");
  if (presence === "offline") return t("Visitor left (closed the page or lost the connection)");
  return "";
}

function renderConversation(state) {
  var conversation = state.selected();
  byId("empty-hint").hidden = !!conversation;
  byId("conversation-pane").hidden = !conversation;
  // On a phone the lists and the open chat take the screen in turn (console.css).
  byId("app-view").toggleAttribute("data-conversation-open", !!conversation);
  if (!conversation) return;
  var summary = conversation.summary;
  byId("conversation-title").textContent = visitorName(summary);
  // Signed by the channel's site (docs/client.md): the name is the site's customer, not typed in.
  byId("conversation-verified").hidden = !summary.visitor_verified;
  var note = agentNote(summary);
  byId("conversation-agent").hidden = !note;
  byId("conversation-agent").textContent = note;
  byId("conversation-status").textContent = conversation.isOpen() ? "" : t("Closed");
  var rating = summary.rating;
  var rated = byId("conversation-rating");
  rated.hidden = !rating;
  rated.textContent = rating
    ? t("Rated {stars} {n}/5", { stars: "★".repeat(rating.rating) + "☆".repeat(5 - rating.rating), n: rating.rating }) +
      (rating.comment ? " — “" + rating.comment + "”" : "")
    : "";
  rated.setAttribute(
    "aria-label",
    rating
      ? t("The visitor rated this conversation {n} out of 5", { n: rating.rating }) +
          (rating.comment ? ": " + rating.comment : "")
      : "",
  );
  var presence = byId("visitor-presence");
  presence.textContent = conversation.isOpen() ? presenceWords(conversation.visitorPresence) : "";
  presence.dataset.presence = conversation.visitorPresence || "";
  byId("transfer-button").disabled = !conversation.isOpen();
  byId("close-button").disabled = !conversation.isOpen();
  byId("composer-input").disabled = !conversation.isOpen();
  byId("send-button").disabled = !conversation.isOpen();
  renderMessages(conversation, state.me && state.me.uid);
  renderDetails(state);
  renderTyping(state);
}

/** What the console knows of the visitor: who they said they are, whether the site vouched for
 * it, where they wrote from and since when. */
function renderDetails(state) {
  var conversation = state.selected();
  var facts = byId("visitor-facts");
  facts.replaceChildren();
  if (!conversation) return;
  var summary = conversation.summary;
  var channel = state.channels.get(summary.channel_id);
  var rows = [
    [t("Name"), summary.visitor_name],
    [t("E-mail"), summary.visitor_email],
    [t("Identity"), summary.visitor_verified ? t("Verified by the site") : t("Not verified")],
    [t("Channel"), channel ? channel.name : summary.channel_id],
    // Where they chat from, as their browser said (text, never a link: the visitor wrote it).
    [t("Page"), summary.visitor_page_url],
    [t("Came from"), summary.visitor_referrer],
    [t("Device"), summary.visitor_device],
    [t("Started"), summary.created_at ? new Date(summary.created_at).toLocaleString() : ""],
    [t("Visitor id"), summary.visitor_id],
  ];
  rows.forEach(function (row) {
    if (!row[1]) return;
    facts.appendChild(el("dt", { text: row[0] }));
    facts.appendChild(el("dd", { text: String(row[1]) }));
  });
}

function renderTyping(state) {
  var conversation = state.selected();
  var name = conversation ? conversation.typingName(Date.now()) : null;
  byId("typing-indicator").textContent = name ? t("{name} is typing…", { name: name }) : "";
}

function showBanner(text, level) {
  var banner = byId("banner");
  banner.textContent = text || "";
  banner.dataset.level = level || "info";
  banner.hidden = !text;
}

export const render = {
  el: el,
  messageText: messageText,
  header: renderHeader,
  queues: renderQueues,
  list: renderList,
  conversation: renderConversation,
  typing: renderTyping,
  details: renderDetails,
  banner: showBanner,
  /** Signed links to a file ({url, thumbnail_url}); console-app sets it to its client's fileLink.
   * @type {((conversationId: string, fileId: string) => Promise<any>) | null} */
  fileLink: null,
  /** Show an image over the console (url, name); console-app sets it to its lightbox. */
  showImage: null,
};
