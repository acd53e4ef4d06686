/* Parley operator console: drawing the state into the page. Every text from the network goes
 * in through textContent, never as HTML. */
import { agentNote, agentText } from "./console-agents.js";

var CONNECTION_WORDS = {
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Connection lost — reconnecting…",
  offline: "Offline",
  closed: "Signed out",
};
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

/** What a message says, in one line of text: bot bodies and actions included. */
function messageText(message) {
  if (message.kind === "erased") return "Message removed"; // a tombstone (docs/privacy.md)
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
  return minutes < 1 ? "just now" : minutes + " min";
}

function visitorName(summary) {
  return summary.visitor_name || "Visitor";
}

function renderHeader(state) {
  byId("me-name").textContent = state.me ? state.me.uname : "";
  byId("availability").checked = state.available;
  byId("availability-label").textContent = state.available ? "Available" : "Busy";
  var connection = byId("connection");
  connection.textContent = CONNECTION_WORDS[state.connection] || state.connection;
  connection.dataset.status = state.connection;
}

function renderQueues(state, onTake) {
  var root = byId("queues");
  root.replaceChildren();
  byId("queue-count").textContent = String(state.waitingCount());
  var now = Date.now();
  state.channels.forEach(function (channel) {
    var waiting = state.queues.get(channel.id) || [];
    var items = waiting.map(function (summary) {
      var take = el("button", {
        type: "button",
        className: "take",
        text: "Accept",
        "aria-label": "Accept the conversation with " + visitorName(summary),
        onclick: function () {
          onTake(summary.id, take);
        },
      });
      return el("li", { className: "waiting", "data-conversation-id": summary.id }, [
        el("span", { className: "who", text: visitorName(summary) }),
        el("span", { className: "since", text: "waiting " + since(summary.created_at, now) }),
        take,
      ]);
    });
    var empty = waiting.length ? null : el("p", { className: "empty", text: "Nobody is waiting." });
    root.appendChild(
      el("section", { className: "queue", "data-channel-id": channel.id }, [
        el("h3", { text: channel.name + " (" + waiting.length + ")" }),
        empty,
        el("ul", {}, items),
      ]),
    );
  });
}

function renderList(state, onSelect) {
  var list = byId("conversation-list");
  list.replaceChildren();
  state.ordered().forEach(function (conversation) {
    var last = conversation.lastMessage();
    var unread = conversation.unread();
    var button = el(
      "button",
      {
        type: "button",
        className: "select",
        onclick: function () {
          onSelect(conversation.id);
        },
      },
      [
        el("span", { className: "who", text: visitorName(conversation.summary) }),
        unread ? el("span", { className: "unread", text: String(unread), "aria-label": unread + " unread" }) : null,
        conversation.isOpen() ? null : el("span", { className: "closed-tag", text: "closed" }),
        conversation.summary.rating
          ? el("span", {
              className: "rating-tag",
              text: "★" + conversation.summary.rating.rating,
              "aria-label": "rated " + conversation.summary.rating.rating + " out of 5",
            })
          : null,
        conversation.isOpen() && conversation.visitorPresence === "offline"
          ? el("span", { className: "left-tag", text: "left" })
          : null,
        el("span", { className: "preview", text: last ? messageText(last) : "" }),
      ],
    );
    if (conversation.id === state.selectedId) button.setAttribute("aria-current", "true");
    list.appendChild(
      el("li", { className: "conversation", "data-conversation-id": conversation.id, "data-unread": String(unread) }, [
        button,
      ]),
    );
  });
  byId("no-conversations").hidden = state.conversations.size > 0;
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
      title: seen ? "Seen" : "Sent",
      "aria-label": seen ? "seen" : "sent",
    });
  }
  return el("li", { className: "message from-" + role, "data-seq": String(message.seq) }, [
    el("span", { className: "author", text: mine ? "You" : message.author_name || message.author_role }),
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
          link.title = "This file is not available.";
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

var OUTBOX_WORDS = { sending: "Sending…", waiting: "Waiting for the connection…", failed: "Not sent" };

function outboxItem(clientMsgId, entry) {
  var words = OUTBOX_WORDS[entry.state] + (entry.error ? ": " + entry.error : "");
  return el("li", { className: "message from-me pending " + entry.state, "data-client-msg-id": clientMsgId }, [
    el("span", { className: "author", text: "You" }),
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
var PRESENCE_WORDS = {
  online: "Visitor online",
  away: "Visitor away (chat not in view)",
  offline: "Visitor left (closed the page or lost the connection)",
};

function renderConversation(state) {
  var conversation = state.selected();
  byId("empty-hint").hidden = !!conversation;
  byId("conversation-pane").hidden = !conversation;
  if (!conversation) return;
  var summary = conversation.summary;
  byId("conversation-title").textContent = visitorName(summary);
  // Signed by the channel's site (docs/client.md): the name is the site's customer, not typed in.
  byId("conversation-verified").hidden = !summary.visitor_verified;
  var note = agentNote(summary);
  byId("conversation-agent").hidden = !note;
  byId("conversation-agent").textContent = note;
  byId("conversation-status").textContent = conversation.isOpen() ? "" : "Closed";
  var rating = summary.rating;
  var rated = byId("conversation-rating");
  rated.hidden = !rating;
  rated.textContent = rating
    ? "Rated " +
      "★".repeat(rating.rating) +
      "☆".repeat(5 - rating.rating) +
      " " +
      rating.rating +
      "/5" +
      (rating.comment ? " — “" + rating.comment + "”" : "")
    : "";
  rated.setAttribute(
    "aria-label",
    rating
      ? "The visitor rated this conversation " +
          rating.rating +
          " out of 5" +
          (rating.comment ? ": " + rating.comment : "")
      : "",
  );
  var presence = byId("visitor-presence");
  presence.textContent = conversation.isOpen() ? PRESENCE_WORDS[conversation.visitorPresence] || "" : "";
  presence.dataset.presence = conversation.visitorPresence || "";
  byId("transfer-button").disabled = !conversation.isOpen();
  byId("close-button").disabled = !conversation.isOpen();
  byId("composer-input").disabled = !conversation.isOpen();
  byId("send-button").disabled = !conversation.isOpen();
  renderMessages(conversation, state.me && state.me.uid);
  renderTyping(state);
}

function renderTyping(state) {
  var conversation = state.selected();
  var name = conversation ? conversation.typingName(Date.now()) : null;
  byId("typing-indicator").textContent = name ? name + " is typing…" : "";
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
  banner: showBanner,
  /** Signed links to a file ({url, thumbnail_url}); console-app sets it to its client's fileLink.
   * @type {((conversationId: string, fileId: string) => Promise<any>) | null} */
  fileLink: null,
  /** Show an image over the console (url, name); console-app sets it to its lightbox. */
  showImage: null,
};
