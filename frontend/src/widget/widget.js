/* Parley web widget. Embedded with one tag:
 *   <script src="https://<gateway>/widget.js" data-channel="<channel id>" async></script>
 * /widget.js is this module bundled by esbuild with the client and widget-render.js (build.mjs).
 * Everything it draws lives in a shadow root, so the host page's styles cannot reach it and its
 * styles cannot leak out; its only global is window.Parley. */
import { Client } from "../client/parley-client.js";
import { ErrorCode } from "../protocol.js";
import { locale, pickLocale, setLocale, t } from "./i18n.js";
import { offlineForm } from "./offline-form.js";
import { pushOffered, subscribeToReplies } from "./push-optin.js";
import { robotStatus } from "./robot-status.js";
import { applyTheme, launcherText } from "./theme.js";
import { widgetEvents } from "./widget-render.js";

/** Builds the widget for the script tag that loaded it (once per page). */
export function mountWidget() {
  /** @type {HTMLScriptElement | null} */
  var script = /** @type {any} */ (
    document.currentScript || document.querySelector("script[data-channel][src*='widget.js']")
  );
  if (!script || !window.Parley || window.Parley.widget) return;
  var BASE = new URL(script.src, location.href).origin;
  var CHANNEL = script.getAttribute("data-channel");
  var HIDE_WHEN_OFFLINE = script.getAttribute("data-hide-when-offline") === "true";
  // The site's own URL answering a fresh identity token of its logged-in customer (docs/client.md).
  var IDENTITY_URL = script.getAttribute("data-identity-url");
  // The site's path of Parley's push worker (push-optin.js): without it, no "Notify me of replies".
  var PUSH_WORKER = script.getAttribute("data-push-worker");
  // The visitor's language: data-locale on the embed tag, else the browser's (English otherwise).
  setLocale(pickLocale(script.getAttribute("data-locale"), navigator.languages || [navigator.language]));
  var STATE_KEY = "parley.widget." + CHANNEL; // {conversationId, open, stored}
  var TYPING_EVERY_MS = 3000; // at most one typing frame per 3 s while the visitor types
  var TYPING_SHOWN_MS = 6000; // the other side's "typing" fades if no stop arrives
  // Messages arriving together (a resume, a bot's burst) are acknowledged and marked read once.
  var READ_REPORT_DELAY_MS = 300;
  var READ_RETRY_MS = 1000; // first pause before a refused or unanswered ack/seen is sent again

  // Plain words for what can go wrong (docs/protocol.md error and close codes).
  var PLAIN = {
    8001: t("Your message contains a word that is not allowed, so it was not sent."),
    1002: t("The chat is down for maintenance. It will reconnect by itself when it is over."),
    9003: t("You are sending messages too quickly. Please wait a moment and try again."),
    9002: t("That message is too long. Please shorten it."),
    9104: t("This conversation has ended."),
    9102: t("This conversation is no longer available."),
    9103: t("This chat is not set up correctly (unknown channel)."),
    9114: t("This chat is not set up for this website."),
    9500: t("Something went wrong on our side. Please try again."),
    9503: t("The chat service is busy or unreachable. Please try again in a moment."),
    9106: t("That file is too large for this chat."),
    9107: t("This chat does not accept that kind of file."),
    9108: t("That file could not be accepted (it is damaged or was refused by the virus scanner)."),
    9109: t("You have sent as many files as you can today."),
    9112: t("The file is still being checked. Please try again in a moment."),
    kickoff: t("You opened the chat in another window or tab, so it is paused here."),
    1008: t("The chat was disconnected. Reload the page to start again."),
    offline: t("You are offline. The chat will reconnect when the connection is back."),
  };

  function plain(error) {
    if (!error) return PLAIN[9500];
    return PLAIN[error.code] || error.message || PLAIN[9500];
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function loadState() {
    try {
      return JSON.parse(localStorage.getItem(STATE_KEY) || "{}");
    } catch (e) {
      return {};
    }
  }
  function saveState(state) {
    try {
      localStorage.setItem(STATE_KEY, JSON.stringify(state));
    } catch (e) {
      /* blocked */
    }
  }

  var Widget = {
    client: new Client({
      baseUrl: BASE,
      clientKind: "web",
      channelId: CHANNEL,
      identity: IDENTITY_URL
        ? function () {
            return fetch(IDENTITY_URL, { credentials: "same-origin" }).then(function (r) {
              return r.ok ? r.text() : null;
            });
          }
        : null,
    }),
    state: loadState(),
    conversationId: null,
    lastOwnSeq: 0,
    started: false,
  };
  window.Parley.widget = Widget;

  // ---- the frame ----------------------------------------------------------------------------

  function build() {
    var host = el("div", { id: "parley-widget", style: "display:none" });
    var root = host.attachShadow({ mode: "open" });
    var css = el("link", { rel: "stylesheet", href: BASE + "/widget/widget.css" });
    css.addEventListener("load", function () {
      host.style.display = "";
    });
    /** @type {any} */
    var ui = (Widget.ui = {});
    // Hidden until the channel's availability says what it should offer.
    ui.launcher = el("button", {
      class: "launcher",
      type: "button",
      "aria-expanded": "false",
      onclick: toggle,
      text: t("Chat with us"),
      hidden: "",
    });
    ui.title = el("span", { class: "title", text: t("Chat") });
    ui.robot = el("span", { class: "robot", hidden: "" }); // robot-status.js
    ui.avatar = el("img", { class: "avatar-image", alt: "", hidden: "" }); // the channel's (theme.js)
    ui.status = el("div", { class: "status", role: "status", "aria-live": "polite" });
    // Offline or reconnecting: said plainly at the top of the chat until the connection is back.
    ui.connection = el("div", { class: "connection", role: "status", "aria-live": "polite", hidden: "" });
    ui.banner = el("div", { class: "banner", role: "alert", hidden: "" });
    ui.notify = el("button", {
      type: "button",
      class: "notify",
      text: t("Notify me of replies"),
      onclick: enablePush,
      hidden: "",
    });
    ui.log = el("ol", { class: "log", "aria-live": "polite", "aria-label": t("Conversation") });
    ui.answers = el("div", { class: "answers" });
    ui.chips = el("div", { class: "chips" });
    ui.input = el("textarea", {
      rows: "1",
      placeholder: t("Write a message…"),
      "aria-label": t("Message"),
      maxlength: "4000",
    });
    ui.input.addEventListener("keydown", onKey);
    ui.input.addEventListener("input", onTyping);
    ui.input.addEventListener("paste", onPaste);
    ui.file = el("input", { type: "file", hidden: "", accept: "image/*,application/pdf,text/plain" });
    ui.file.addEventListener("change", function () {
      Array.prototype.forEach.call(ui.file.files, function (file) {
        sendFile(file, file.name);
      });
      ui.file.value = "";
    });
    // A plain "+": an emoji paperclip is a missing-glyph box where no emoji font is installed.
    ui.attach = el("button", {
      type: "button",
      class: "attach",
      "aria-label": t("Attach a file"),
      title: t("Attach a file"),
      text: "+",
      onclick: function () {
        ui.file.click();
      },
    });
    ui.form = el("form", { class: "compose", onsubmit: onSubmit }, [
      ui.attach,
      ui.file,
      ui.input,
      el("button", { type: "submit", class: "send", text: t("Send") }),
    ]);
    // t("End chat") only once there is a chat to end (the first message stored it).
    ui.end = el("button", { type: "button", class: "end", text: t("End chat"), onclick: endChat, hidden: "" });
    ui.closing = el("div", { class: "closing", hidden: "" });
    ui.panel = el("section", { class: "panel", role: "dialog", "aria-label": t("Chat"), hidden: "" }, [
      el("header", {}, [
        ui.avatar,
        el("div", { class: "heading" }, [ui.title, ui.robot]),
        ui.end,
        el("button", {
          type: "button",
          class: "minimize",
          "aria-label": t("Close the chat window"),
          text: "✕",
          onclick: toggle,
        }),
      ]),
      ui.connection,
      ui.status,
      ui.notify,
      ui.banner,
      ui.log,
      ui.answers,
      ui.closing,
      ui.chips,
      ui.form,
    ]);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") toggle();
    });
    // Files dragged onto the open chat are sent like attached ones.
    ui.panel.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      ui.panel.classList.add("dropping");
    });
    ui.panel.addEventListener("dragleave", function (event) {
      if (event.target === ui.panel) ui.panel.classList.remove("dropping");
    });
    ui.panel.addEventListener("drop", function (event) {
      ui.panel.classList.remove("dropping");
      if (!hasFiles(event)) return;
      event.preventDefault();
      Array.prototype.forEach.call(event.dataTransfer.files, function (file) {
        sendFile(file, file.name);
      });
    });
    root.appendChild(css);
    // Minimised: what the other side wrote meanwhile, above the launcher, and how many.
    ui.preview = el("button", { type: "button", class: "preview", hidden: "", onclick: toggle });
    ui.badge = el("span", { class: "badge", hidden: "", "aria-hidden": "true" });
    ui.unreadLive = el("span", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    ui.frame = el("div", { class: "parley", lang: locale() }, [
      ui.panel,
      ui.preview,
      el("div", { class: "dock" }, [ui.launcher, ui.badge]),
      ui.unreadLive,
    ]);
    root.appendChild(ui.frame);
    document.body.appendChild(host);
  }

  // ---- availability and opening --------------------------------------------------------------

  function checkAvailability() {
    return fetch(BASE + "/channels/" + encodeURIComponent(CHANNEL) + "/availability")
      .then(function (response) {
        if (!response.ok) throw new Error("availability " + response.status);
        return response.json();
      })
      .then(function (view) {
        Widget.availability = view;
        Widget.ui.title.textContent = view.name;
        var offline = !view.available;
        applyTheme(Widget.ui, view.theme);
        Widget.ui.launcher.textContent = launcherText(
          view.theme,
          offline ? t("Leave a message") : t("Chat with us"),
          offline,
        );
        Widget.ui.launcher.setAttribute("data-availability", view.availability);
        Widget.ui.launcher.hidden = (offline && HIDE_WHEN_OFFLINE) || !Widget.ui.panel.hidden;
      })
      .catch(function (error) {
        Widget.ui.launcher.hidden = true; // unknown channel or Parley unreachable: show nothing
        if (window.console) console.warn("Parley widget: channel " + CHANNEL + " is not available", error);
      });
  }

  function toggle() {
    var opening = Widget.ui.panel.hidden;
    Widget.ui.panel.hidden = !opening;
    Widget.ui.launcher.setAttribute("aria-expanded", String(opening));
    Widget.ui.launcher.hidden = opening;
    Widget.state.open = opening;
    saveState(Widget.state);
    if (opening && offlineFormApplies()) {
      Widget.offlineForm.show(Widget.availability.offline_message);
    } else if (opening) {
      Widget.ui.input.focus();
      start();
      Widget.render.clearUnread();
      reportRead();
    } else Widget.ui.launcher.focus();
  }

  /** Nobody to chat with and no conversation to go back to: the form, not a chat (offline-form.js). */
  function offlineFormApplies() {
    if (Widget.offlineForm.shown()) return true;
    var stored = Widget.state.conversationId && Widget.state.stored;
    return !stored && !!Widget.availability && Widget.availability.availability === "offline_form";
  }

  /** ack what has arrived and, when the visitor can see it (panel open, page shown), seen: the
   * operator's ticks turn ✓✓, and unread counts and pending pushes are cleared by reading.
   * A report the server did not take (no answer in time, a busy bus, a dropped link) is tried
   * again after a growing pause: nothing else would tell it, as the next message may never come. */
  function reportRead(delay) {
    clearTimeout(Widget.readTimer);
    Widget.readTimer = setTimeout(
      function () {
        var id = Widget.conversationId;
        if (!id || !Widget.state.stored || Widget.client.status !== "online") return;
        var seq = Widget.client.lastSeq(id);
        if (seq > (Widget.ackedSeq || 0)) {
          Widget.ackedSeq = seq;
          Widget.client.request("ack", { conversation_id: id, seq: seq }).then(readReported, function (error) {
            if (Widget.ackedSeq === seq) Widget.ackedSeq = 0;
            readNotReported(id, error);
          });
        }
        if (Widget.ui.panel.hidden || document.hidden || seq <= (Widget.seenSent || 0)) return;
        Widget.seenSent = seq;
        Widget.render.readUpTo(seq);
        Widget.client.request("seen", { conversation_id: id, seq: seq }).then(readReported, function (error) {
          if (Widget.seenSent === seq) Widget.seenSent = 0;
          readNotReported(id, error);
        });
      },
      typeof delay === "number" ? delay : READ_REPORT_DELAY_MS,
    );
  }
  function readReported() {
    Widget.readRetries = 0;
  }
  /** Only a passing trouble is worth another try; a refusal (closed, not a member) would stay one. */
  var PASSING = [ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL, ErrorCode.RATE_LIMITED];
  function readNotReported(conversationId, error) {
    if (conversationId !== Widget.conversationId || PASSING.indexOf(error && error.code) === -1) return;
    Widget.readRetries = Math.min((Widget.readRetries || 0) + 1, 5);
    reportRead(READ_RETRY_MS * Math.pow(2, Widget.readRetries - 1)); // 1, 2, 4, 8, then 16 s
  }

  /** After a reload: how far the other side has read, so ✓✓ stay ✓✓. */
  function loadPartnerSeen(conversationId) {
    Widget.client
      .authedFetch("/conversations/" + encodeURIComponent(conversationId))
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (detail) {
        if (!detail || conversationId !== Widget.conversationId) return;
        var me = Widget.client.user && Widget.client.user.uid;
        detail.members.forEach(function (member) {
          if (member.user_id !== me) Widget.render.partnerSeen(member.last_seen_seq);
          else Widget.render.readUpTo(member.last_seen_seq);
        });
      })
      .catch(function () {}); // ticks stay ✓ until the next member.seen
  }

  /** Log in (or reuse the stored session), connect, and open this channel's session. */
  function start() {
    if (Widget.started) return;
    Widget.started = true;
    var client = Widget.client;
    if (Widget.state.conversationId && Widget.state.stored) {
      // after a reload: the auth frame replays it all
      Widget.conversationId = Widget.state.conversationId;
      client.track(Widget.conversationId, 0);
    }
    var login = client.restoreSession() ? Promise.resolve() : client.loginVisitor();
    Widget.opening = login
      .then(function () {
        return client.connect();
      })
      .then(openSession);
    Widget.opening.catch(function (error) {
      Widget.started = false;
      showBanner(plain(error));
    });
  }

  function openSession() {
    return Widget.client.request("session.open", sessionOpenData()).then(function (opened) {
      if (Widget.conversationId && Widget.conversationId !== opened.conversation_id) resetLog();
      Widget.conversationId = opened.conversation_id;
      if (opened.conversation_id !== Widget.state.conversationId)
        Widget.state = { conversationId: opened.conversation_id, open: true, stored: false };
      if (opened.last_seq > 0) markStored();
      saveState(Widget.state);
      Widget.client.track(opened.conversation_id, Widget.state.stored ? undefined : 0);
      showWelcome(opened.welcome || (Widget.availability && Widget.availability.welcome));
      if (opened.availability === "offline_form")
        systemLine(
          (Widget.availability && Widget.availability.offline_message) ||
            t("Nobody is available right now. Leave a message and we will get back to you."),
        );
      if (Widget.state.stored) {
        Widget.client
          .request("status", { status: "online", conversation_id: opened.conversation_id })
          .catch(function () {});
        loadPartnerSeen(opened.conversation_id);
        reportRead();
      }
    });
  }

  /** The channel, and where the visitor chats from (shown to the operators with the chat). */
  function sessionOpenData() {
    /** @type {any} */
    var data = { channel_id: CHANNEL, user_agent: navigator.userAgent.slice(0, 512) };
    if (/^https?:\/\//.test(location.href)) data.page_url = location.href.slice(0, 2000);
    if (/^https?:\/\//.test(document.referrer)) data.referrer = document.referrer.slice(0, 2000);
    return data;
  }

  function markStored() {
    if (Widget.ui.closing.hidden) Widget.ui.end.hidden = false;
    offerPush();
    if (Widget.state.stored) return;
    Widget.state.stored = true;
    saveState(Widget.state);
  }

  // ---- web push (push-optin.js) -----------------------------------------------------------------

  /** Once a chat exists: offer notifications of replies, unless this browser already has them. */
  function offerPush() {
    if (Widget.pushOffered || Widget.state.push) return;
    Widget.pushOffered = true;
    pushOffered(Widget.client, PUSH_WORKER).then(function (offered) {
      Widget.ui.notify.hidden = !offered;
    });
  }

  function enablePush() {
    var button = Widget.ui.notify;
    button.disabled = true;
    subscribeToReplies(Widget.client, PUSH_WORKER).then(
      function () {
        button.hidden = true;
        Widget.state.push = true;
        saveState(Widget.state);
        systemLine(t("We will notify you of replies on this device."));
      },
      function (error) {
        button.disabled = false;
        if (error && error.message === "notifications-refused") {
          button.hidden = true;
          systemLine(t("Notifications are blocked for this site in your browser."));
        } else showBanner(t("Notifications could not be turned on. Try again later."));
      },
    );
  }

  // ---- sending ------------------------------------------------------------------------------

  function onKey(event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      onSubmit(event);
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    var text = Widget.ui.input.value.trim();
    if (!text) return;
    Widget.ui.input.value = "";
    sendText(text);
  }

  function sendText(text) {
    if (!Widget.conversationId) {
      // typed before the session was open: send it once it is
      if (Widget.opening)
        Widget.opening.then(function () {
          sendText(text);
        });
      return;
    }
    var clientMsgId = "web-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
    var pending = el("li", { class: "msg mine pending", "data-client-msg-id": clientMsgId }, [el("p", { text: text })]);
    Widget.ui.log.appendChild(pending);
    scrollDown();
    hideBanner();
    Widget.typingSent = 0;
    Widget.client
      .send(Widget.conversationId, text, { clientMsgId: clientMsgId })
      .then(function (accepted) {
        markStored();
        if (accepted.message === null && accepted.command) systemLine(accepted.command.text);
        if (accepted.message === null) pending.remove();
      })
      .catch(function (error) {
        pending.classList.add("failed");
        pending.appendChild(el("small", { class: "error", text: plain(error) }));
        showBanner(plain(error));
      });
  }

  /** @param {DragEvent} event */
  function hasFiles(event) {
    var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
    return types.indexOf("Files") !== -1;
  }

  /** A pasted screenshot (or any pasted file) is sent as an attachment; pasted text stays text. */
  function onPaste(event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (!files || !files.length) return;
    event.preventDefault();
    Array.prototype.forEach.call(files, function (file) {
      sendFile(file, file.name || "screenshot.png");
    });
  }

  /** Upload one file and send it in a message of kind file, with a preview while it goes; a
   * failure keeps the preview with the reason and a retry button. */
  function sendFile(blob, name, pending) {
    if (!Widget.conversationId) {
      // attached before the session was open: sent once it is
      if (Widget.opening)
        Widget.opening.then(function () {
          sendFile(blob, name, pending);
        });
      return;
    }
    var clientMsgId = "web-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
    if (pending) {
      pending.className = "msg mine pending";
      pending.querySelectorAll(".error, .retry").forEach(function (node) {
        node.remove();
      });
    } else {
      var isImage = /^image\//.test(blob.type || "");
      pending = el("li", { class: "msg mine pending" }, [
        isImage
          ? el("img", { class: "upload-preview", alt: name, src: URL.createObjectURL(blob) })
          : el("p", { text: name }),
      ]);
      Widget.ui.log.appendChild(pending);
      scrollDown();
    }
    var item = pending;
    item.setAttribute("data-client-msg-id", clientMsgId);
    var progress = el("progress", { class: "upload-progress", max: "1", value: "0", "aria-label": t("Uploading") });
    item.appendChild(progress);
    hideBanner();
    var client = Widget.client;
    client
      .upload(Widget.conversationId, blob, name, {
        onProgress: function (sent, total) {
          progress.value = total ? sent / total : 0;
        },
      })
      .then(function (uploaded) {
        progress.remove();
        return client.sendFiles(Widget.conversationId, [uploaded.file.file_id], { clientMsgId: clientMsgId });
      })
      .then(function () {
        markStored();
      })
      .catch(function (error) {
        progress.remove();
        item.classList.add("failed");
        item.appendChild(el("small", { class: "error", text: plain(error) }));
        item.appendChild(
          el("button", {
            type: "button",
            class: "retry",
            text: t("Retry"),
            onclick: function () {
              sendFile(blob, name, item);
            },
          }),
        );
      });
  }

  function onTyping() {
    var now = Date.now();
    if (!Widget.state.stored || now - (Widget.typingSent || 0) < TYPING_EVERY_MS) return;
    Widget.typingSent = now;
    Widget.client.request("typing", { conversation_id: Widget.conversationId, active: true }).catch(function () {});
  }

  // ---- closing, rating, transcript ----------------------------------------------------------

  function endChat() {
    if (!Widget.conversationId || !Widget.state.stored) return toggle();
    Widget.client
      .request("conversation.close", { conversation_id: Widget.conversationId })
      .then(showClosing, function (error) {
        if (error.code === 9104) showClosing();
        else showBanner(plain(error));
      });
  }

  function showClosing() {
    var ui = Widget.ui;
    if (!ui.closing.hidden) return;
    var id = Widget.conversationId;
    ui.form.hidden = true;
    ui.end.hidden = true;
    ui.answers.textContent = "";
    ui.chips.textContent = "";
    // Stars start empty; hovering (or focusing) one lights it and those before it; a click picks
    // the rating; "Send" sends it with the comment, so the comment is not lost to a quick click.
    var picked = 0;
    var stars = el("div", { class: "stars", role: "radiogroup", "aria-label": t("Rate this conversation") });
    var starButtons = [1, 2, 3, 4, 5].map(function (n) {
      var star = el("button", {
        type: "button",
        role: "radio",
        "aria-checked": "false",
        "data-rating": String(n),
        "aria-label": t("{n} out of 5", { n: n }),
        text: "★",
        onclick: function () {
          picked = n;
          send.disabled = false;
          light(n);
        },
        onmouseenter: function () {
          light(n);
        },
        onfocus: function () {
          light(n);
        },
      });
      stars.appendChild(star);
      return star;
    });
    stars.addEventListener("mouseleave", function () {
      light(picked);
    });
    function light(upTo) {
      starButtons.forEach(function (star, i) {
        star.classList.toggle("lit", i < upTo);
        star.setAttribute("aria-checked", String(i + 1 === picked));
      });
    }
    var comment = el("textarea", {
      class: "comment",
      rows: "2",
      placeholder: t("Anything to add? (optional)"),
      "aria-label": t("Comment"),
      maxlength: "1000",
    });
    var send = el("button", { type: "button", class: "rate-send", text: t("Send rating"), disabled: "" });
    send.addEventListener("click", function () {
      if (!picked) return;
      send.disabled = true;
      Widget.client
        .request("conversation.rate", { conversation_id: id, rating: picked, comment: comment.value.trim() })
        .then(
          function () {
            stars.remove();
            comment.remove();
            send.remove();
            ui.closing.querySelector(".ask").textContent = t("Thank you for your feedback!");
          },
          function (error) {
            send.disabled = false;
            showBanner(plain(error));
          },
        );
    });
    var link = el("a", {
      class: "transcript",
      href: "#",
      text: t("Download the transcript"),
      download: "transcript-" + id + ".html",
    });
    link.addEventListener("click", function (event) {
      if (link.getAttribute("href") === "#") {
        event.preventDefault();
        downloadTranscript(id, link);
      }
    });
    ui.closing.textContent = "";
    ui.closing.appendChild(el("p", { class: "ask", text: t("The chat has ended. How did we do?") }));
    [
      stars,
      comment,
      send,
      link,
      el("button", { type: "button", class: "again", text: t("Start a new conversation"), onclick: startAgain }),
    ].forEach(function (n) {
      ui.closing.appendChild(n);
    });
    ui.closing.hidden = false;
    prepareTranscript(id, link);
  }

  /** The transcript needs the bearer token, so it is fetched and offered as a file. */
  function prepareTranscript(id, link) {
    Widget.client
      .authedFetch("/conversations/" + encodeURIComponent(id) + "/transcript.html")
      .then(function (response) {
        if (!response.ok) throw new Error("transcript " + response.status);
        return response.blob();
      })
      .then(function (blob) {
        link.href = URL.createObjectURL(blob);
        link.setAttribute("data-ready", "true");
      })
      .catch(function () {
        link.textContent = t("The transcript is not available.");
      });
  }

  function downloadTranscript(id, link) {
    var once = new MutationObserver(function () {
      if (link.getAttribute("data-ready")) {
        once.disconnect();
        link.click();
      }
    });
    once.observe(link, { attributes: true });
  }

  function startAgain() {
    Widget.client.untrack(Widget.conversationId);
    Widget.state = { open: true };
    saveState(Widget.state);
    resetLog();
    openSession().catch(function (error) {
      showBanner(plain(error));
    });
  }

  function resetLog() {
    var ui = Widget.ui;
    ui.log.textContent = "";
    ui.answers.textContent = "";
    ui.chips.textContent = "";
    ui.closing.textContent = "";
    ui.closing.hidden = true;
    ui.form.hidden = false;
    ui.end.hidden = true;
    Widget.conversationId = null;
  }

  // ---- small UI pieces ----------------------------------------------------------------------

  function scrollDown() {
    Widget.ui.log.scrollTop = Widget.ui.log.scrollHeight;
  }
  function showBanner(text) {
    Widget.ui.banner.textContent = text;
    Widget.ui.banner.hidden = false;
  }
  function hideBanner() {
    Widget.ui.banner.hidden = true;
  }
  function systemLine(text) {
    var line = el("li", { class: "msg system", text: text });
    Widget.ui.log.appendChild(line);
    scrollDown();
    return line;
  }

  function showWelcome(text) {
    if (!text || Widget.ui.log.querySelector(".welcome")) return;
    Widget.ui.log.insertBefore(el("li", { class: "msg welcome", text: text }), Widget.ui.log.firstChild);
  }

  Widget.render = {}; // filled by the rendering part below: message, step, typing, seen, queue
  Widget.helpers = {
    el: el,
    plain: plain,
    PLAIN: PLAIN,
    sendText: sendText,
    showBanner: showBanner,
    hideBanner: hideBanner,
    systemLine: systemLine,
    scrollDown: scrollDown,
    showClosing: showClosing,
    markStored: markStored,
    start: start,
    TYPING_SHOWN_MS: TYPING_SHOWN_MS,
    reportRead: reportRead,
    toggle: toggle,
  };

  function boot() {
    build();
    widgetEvents(Widget);
    Widget.offlineForm = offlineForm(Widget, CHANNEL);
    robotStatus(Widget);
    document.addEventListener("visibilitychange", reportRead);
    Widget.client.onStatusChange(function (status) {
      if (status === "online") reportRead(); // what the resume brought back
    });
    var reopen = Widget.state.open; // the chat was open when the page was left: open it again
    checkAvailability().then(function () {
      if (reopen && Widget.ui.panel.hidden && !Widget.ui.launcher.hidden) toggle();
    });
  }
  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot);
}
