/* Parley operator console: start-up, sign-in and sign-out, what the server pushes, and the
 * page's buttons and keys. The other console-*.js files hold the state, the drawing, the
 * server reads and the operator's actions; the WebSocket is the shared Parley client's. */
import { Client } from "../client/parley-client.js";
import { Actions, plainError } from "./console-actions.js";
import { Composer } from "./console-composer.js";
import { dialogs } from "./console-dialogs.js";
import { render } from "./console-render.js";
import { ConsoleState } from "./console-state.js";
import { Sync } from "./console-sync.js";
import { adminView } from "./admin-view.js";
import { chooseLocale, locale, startLocale, t } from "./console-i18n.js";
import { drawOfflineRequests } from "./console-offline.js";
import { drawSatisfaction } from "./console-satisfaction.js";

/** @type {any} */
const global = window;

var STAFF_ROLES = { operator: true, admin: true };
// A notice (operator joined, a conversation passed to you...) stays this long on the banner.
var NOTICE_SHOWN_MS = 8000;

/** @returns {any} the page's element (an input, a dialog...) */
function byId(id) {
  return document.getElementById(id);
}

var client = new Client({ clientKind: "console", storageKey: "parley-console" });
var state = new ConsoleState();
render.fileLink = function (conversationId, fileId) {
  return client.fileLink(conversationId, fileId);
};
// The lightbox: a <dialog> (Escape and the close button close it, focus returns where it was).
render.showImage = function (url, name) {
  /** @type {any} */
  var box = byId("lightbox");
  var image = byId("lightbox-image");
  image.setAttribute("src", url);
  image.setAttribute("alt", name);
  box.showModal();
};
byId("lightbox-close").addEventListener("click", function () {
  /** @type {any} */ (byId("lightbox")).close();
});
var drawPending = false;
var sync = new Sync(client, state, redraw);
var actions = new Actions(client, state, redraw);
var composer;
var everOnline = false;

/** Draw everything once per frame, however many changes came in it. */
function redraw() {
  if (drawPending) return;
  drawPending = true;
  global.requestAnimationFrame(function () {
    if (drawPending) drawNow();
  });
}

/** Draw at once (what the operator just did must show before their next key; a frame's draw
 * still pending is then skipped). */
function drawNow() {
  drawPending = false;
  render.header(state);
  render.queues(state, take);
  render.list(state, select);
  render.conversation(state);
}

function pageIsRead() {
  return document.visibilityState === "visible" && document.hasFocus();
}

function markSelectedSeen() {
  var conversation = state.selected();
  if (conversation && pageIsRead()) actions.markSeen(conversation);
}

// ---- sign-in -----------------------------------------------------------------------------

function loginWords(error) {
  if (error && error.status === 401) return t("Wrong username or password.");
  if (error && error.status === 429) return t("Too many attempts. Wait a minute, then try again.");
  if (error instanceof TypeError) return t("Parley cannot be reached. Check your connection and try again.");
  return plainError(error);
}

function showLogin(message) {
  byId("app-view").hidden = true;
  byId("login-view").hidden = false;
  byId("login-error").textContent = message || "";
  byId("login-username").focus();
}

function onLoginSubmit(event) {
  event.preventDefault();
  var button = byId("login-submit");
  button.disabled = true;
  byId("login-error").textContent = "";
  client
    .loginUser(byId("login-username").value.trim(), byId("login-password").value)
    .then(enter, function (error) {
      showLogin(loginWords(error));
    })
    .finally(function () {
      button.disabled = false;
      byId("login-password").value = "";
    });
}

function enter(user) {
  if (!STAFF_ROLES[user.role]) {
    client.logout();
    return showLogin(t("This account is not an operator's. Sign in with an operator account."));
  }
  state.me = user;
  byId("login-view").hidden = true;
  byId("app-view").hidden = false;
  byId("admin-toggle").hidden = user.role !== "admin";
  redraw();
  return client
    .connect()
    .then(function () {
      return sync.loadAll();
    })
    .then(drawOffline)
    .catch(function (error) {
      if (error && error.code === 4001) return showLogin(t("Your session has ended. Sign in again."));
      render.banner(t("Could not load your conversations:") + " " + plainError(error), "warning");
    });
}

/** What visitors left with the offline form, for the channels this operator serves (console-offline.js). */
function drawOffline() {
  drawOfflineRequests(byId("offline-requests"), byId("offline-count"), client, Array.from(state.channels.values()));
}

function signOut() {
  client.logout().then(function () {
    global.location.reload();
  });
}

// ---- what the server pushes -----------------------------------------------------------------

function onStatus(status, detail) {
  state.connection = status;
  if (status === "online") {
    render.banner("");
    if (everOnline) resynchronise();
    everOnline = true;
  } else if (status === "reconnecting") {
    render.banner(t("Connection lost. Reconnecting… Replies you write are sent when it is back."), "warning");
  } else if (status === "offline" && detail && detail.loginRequired) {
    showLogin(t("Your session has ended. Sign in again."));
  } else if (status === "offline" && detail && detail.code === 4003) {
    render.banner(
      t("This console was disconnected: you signed in on another one. Reload to use this one again."),
      "warning",
    );
  }
  redraw();
}

/** Back online: the client resumed the tracked conversations; lists and pushes may have moved. */
function resynchronise() {
  actions.flushOutbox();
  sync.loadAll().catch(function (error) {
    render.banner(t("Could not refresh:") + " " + plainError(error), "warning");
  });
}

function onMessage(message) {
  var conversation = state.conversations.get(message.conversation_id);
  if (!conversation) {
    // A conversation given to this operator whose update has not come yet: read it whole.
    sync.loadConversation(message.conversation_id).catch(function () {});
    return;
  }
  conversation.add(message, state.me.uid);
  if (conversation.id === state.selectedId) markSelectedSeen();
  redraw();
}

function onConversationUpdated(data) {
  var mine = data.member_ids.indexOf(state.me.uid) >= 0;
  var conversation = state.conversations.get(data.conversation_id);
  if (data.reason === "rated") {
    if (conversation) sync.loadRating(conversation).catch(function () {});
    return;
  }
  if (conversation && data.controller) conversation.summary.controller = data.controller;
  if (data.reason === "visitor_location" || data.reason === "bot_handoff") {
    // The location or the bot's hand-off note is on the conversation's detail: read it again.
    if (conversation) sync.loadConversation(conversation.id).catch(function () {});
    return;
  }
  if (mine && data.status !== "closed" && !conversation) {
    sync.loadConversation(data.conversation_id).catch(function () {});
    return;
  }
  if (!conversation) return;
  var wasOpen = conversation.isOpen();
  conversation.summary.status = mine ? data.status : "closed";
  if (wasOpen && !conversation.isOpen()) {
    client.untrack(conversation.id);
    // Closed: the conversation's own notice ("… closed the conversation") says it, once.
    if (!mine) actions.note(conversation, t("This conversation is no longer yours."));
  }
  redraw();
}

function onSeen(data) {
  var conversation = state.conversations.get(data.conversation_id);
  if (!conversation) return;
  if (data.user_id === state.me.uid) conversation.seenSeq = Math.max(conversation.seenSeq, data.seq);
  else conversation.partnerSeenSeq = Math.max(conversation.partnerSeenSeq, data.seq);
  redraw();
}

function onTyping(data) {
  var conversation = state.conversations.get(data.conversation_id);
  if (!conversation || data.user_id === state.me.uid) return;
  conversation.setTyping(data.name || t("The visitor"), data.active, Date.now());
  render.typing(state);
  setTimeout(function () {
    render.typing(state);
  }, 6500); // fades if no "stopped" comes
}

function onNotice(data) {
  render.banner(data.text, data.level);
  var shown = data.text;
  setTimeout(function () {
    if (byId("banner").textContent === shown) render.banner("");
  }, NOTICE_SHOWN_MS);
}

function listen() {
  client.onStatusChange(onStatus);
  client.onMessage(onMessage);
  client.on("conversation.updated", onConversationUpdated);
  client.on("member.seen", onSeen);
  client.on("typing", onTyping);
  client.on("notice", onNotice);
  client.on("queue.changed", function (data) {
    sync.queueChanged(data.channel_id);
  });
  client.on("presence", function (data) {
    if (data.user_id === state.me.uid && data.available !== null) {
      state.available = data.available;
      redraw();
      return;
    }
    // A visitor of ours came back, hid the page or left (closed the tab, lost the network).
    state.conversations.forEach(function (conversation) {
      if (conversation.summary.visitor_id === data.user_id) conversation.visitorPresence = data.status;
    });
    redraw();
  });
}

// ---- the operator's buttons and keys ----------------------------------------------------------

function select(conversationId) {
  if (conversationId === state.selectedId) {
    // Already open (the assignment opened it): the click on its row still means "write here".
    byId("composer-input").focus();
    return;
  }
  composer.reset(); // a "stopped typing" for the conversation being left
  state.selectedId = conversationId;
  // Drawn and focused at once, not in the next frame: keys typed right after the click went to
  // the row's button meanwhile and were lost (a test typed ":hel" and the composer got "hel").
  drawNow();
  markSelectedSeen();
  byId("composer-input").focus();
}

/** Back from the open chat to the lists (the phone layout's way back; the chat stays yours). */
function backToLists() {
  composer.reset();
  state.selectedId = null;
  redraw();
  var row = /** @type {HTMLElement | null} */ (document.querySelector("#conversation-list button, #queues button"));
  if (row) row.focus();
}

function take(conversationId, button) {
  button.disabled = true;
  sync
    .take(conversationId)
    .then(
      function () {
        select(conversationId);
      },
      function (error) {
        button.disabled = false; // the row is kept across redraws (console-render KeyedRows)
        render.banner(t("Could not accept:") + " " + plainError(error), "warning");
        sync.queueChanged(findChannelOf(conversationId));
      },
    )
    .finally(redraw);
}

function findChannelOf(conversationId) {
  var found = null;
  state.queues.forEach(function (list, channelId) {
    if (
      list.some(function (waiting) {
        return waiting.id === conversationId;
      })
    )
      found = channelId;
  });
  return found;
}

function toggleAvailability() {
  var wanted = byId("availability").checked;
  var was = state.available;
  // Shown at once (a redraw while the request is out must not flip the switch back), undone if refused.
  state.available = wanted;
  state.availabilityToggles += 1;
  client
    .request("operator.availability", { available: wanted })
    .catch(function (error) {
      if (state.available === wanted) state.available = was;
      render.banner(t("Could not change your availability:") + " " + plainError(error), "warning");
    })
    .finally(redraw);
}

function onMessagesScroll() {
  var conversation = state.selected();
  if (conversation && byId("messages").scrollTop < 40) sync.loadOlder(conversation).catch(function () {});
}

/** Alt+ArrowUp / Alt+ArrowDown: the previous or next conversation of the list. */
function onKey(event) {
  if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
  var ids = state.ordered().map(function (conversation) {
    return conversation.id;
  });
  if (!ids.length) return;
  event.preventDefault();
  var index = ids.indexOf(state.selectedId);
  var next = event.key === "ArrowDown" ? index + 1 : index - 1;
  select(ids[(next + ids.length) % ids.length]);
}

/** The admin screens in place of the conversations, and back (the button says which is shown). */
function toggleAdmin() {
  var button = byId("admin-toggle");
  var showAdmin = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(showAdmin));
  byId("app-view").classList.toggle("admin-mode", showAdmin);
  byId("sidebar").hidden = showAdmin;
  byId("conversation-view").hidden = showAdmin;
  byId("admin-view").hidden = !showAdmin;
  if (showAdmin) adminView(byId("admin-view"), { client: client, me: state.me });
  else byId("admin-view").replaceChildren();
}

function toggleDetails() {
  var button = byId("details-button");
  var shown = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(shown));
  byId("visitor-details").hidden = !shown;
}

/** A language chosen in the top bar or on the sign-in page: kept, and the page drawn in it. */
function onLocaleChange(event) {
  chooseLocale(event.target.value);
  global.location.reload();
}

function wire() {
  byId("login-form").addEventListener("submit", onLoginSubmit);
  byId("admin-toggle").addEventListener("click", toggleAdmin);
  byId("details-button").addEventListener("click", toggleDetails);
  byId("back-to-lists").addEventListener("click", backToLists);
  byId("closed-filter").addEventListener("input", redraw);
  // Read when opened (and each time again): figures of the channels this operator serves.
  byId("satisfaction-section").addEventListener("toggle", function (event) {
    if (event.target.open) drawSatisfaction(byId("satisfaction"), client, Array.from(state.channels.values()));
  });
  // Read at sign-in (for the count) and each time it is opened.
  byId("offline-section").addEventListener("toggle", function (event) {
    if (event.target.open) drawOffline();
  });
  ["locale", "login-locale"].forEach(function (id) {
    byId(id).value = locale();
    byId(id).addEventListener("change", onLocaleChange);
  });
  byId("logout").addEventListener("click", signOut);
  byId("availability").addEventListener("change", toggleAvailability);
  byId("messages").addEventListener("scroll", onMessagesScroll);
  byId("load-older").addEventListener("click", function () {
    sync.loadOlder(state.selected()).catch(function () {});
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", markSelectedSeen);
  global.addEventListener("focus", markSelectedSeen);
  dialogs.wire(state, actions, sync);
  composer = new Composer({
    form: byId("composer"),
    input: byId("composer-input"),
    suggestions: byId("suggestions"),
    onSubmit: function (text) {
      actions.submit(state.selected(), text);
    },
    onTyping: function (active) {
      actions.typing(state.selected(), active);
    },
    lookupCanned: function (prefix) {
      return actions.cannedLike(state.selected(), prefix);
    },
    onFiles: function (files) {
      actions.sendFiles(state.selected(), files);
    },
    attachButton: byId("attach-button"),
    fileInput: byId("attach-input"),
  });
}

function start() {
  startLocale();
  wire();
  listen();
  if (client.restoreSession()) enter(client.user);
  else showLogin("");
}

start();
