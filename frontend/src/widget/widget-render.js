/* Parley web widget, part 2: what the server pushes, drawn. Messages (text, bot rich contents,
 * notices), bot steps with answer buttons, quick replies, typing, seen ticks, queue position,
 * the connection's state and errors in plain words. widget.js calls widgetEvents(widget) once it
 * has built its frame. */
import { agentContent, draftBubbles, noticeExpression } from "./agent-render.js";
import { locale, t } from "./i18n.js";

/** Wires the server's frames to the widget's frame (ui) once widget.js has built it. */
export function widgetEvents(Widget) {
  var h = Widget.helpers;
  var el = h.el;
  var ui = Widget.ui;
  var client = Widget.client;
  var mine = function (message) {
    return client.user && message.author_id === client.user.uid;
  };
  var ours = function (data) {
    return data && data.conversation_id === Widget.conversationId;
  };

  client.onMessage(function (message) {
    if (message.conversation_id !== Widget.conversationId) return;
    h.markStored();
    // Whoever writes has read what came before (the server counts it so, and a reload reads the
    // members' seen seqs back): an operator's or the bot's message or notice means the visitor's
    // messages up to it were seen. Live and after a reload, the ticks then agree.
    if (!mine(message) && ["operator", "admin", "bot"].indexOf(message.author_role) !== -1) partnerSeen(message.seq);
    if (message.kind === "notice") dropLiveNotice(String(message.body));
    var pending =
      message.client_msg_id && ui.log.querySelector('[data-client-msg-id="' + CSS.escape(message.client_msg_id) + '"]');
    if (pending) pending.remove();
    // Quick replies are chips under the input, not a bubble of their own.
    // Anything but the bot's own words ends its offer: after the visitor's pick, an operator's
    // word or a notice (replayed after a reload too), old choices would send into the human chat.
    if (message.kind !== "bot") clearChoices();
    if (message.kind === "bot" && message.body.kind === "quick_replies") {
      showChips(message.body);
      ui.log.appendChild(el("li", { class: "msg meta", "data-seq": String(message.seq), hidden: "" })); // keeps its place in seq order
    } else ui.log.appendChild(messageItem(message));
    if (!mine(message)) noticeExpression(client, message);
    h.scrollDown();
    if (!mine(message) && message.kind !== "notice" && message.kind !== "erased") noteUnread(message);
    h.reportRead();
  });

  // ---- unread while minimised -------------------------------------------------------------

  Widget.readSeq = 0; // the visitor has read up to here (sent as seen, or read back after a reload)
  Widget.unread = []; // {seq, text} the other side wrote since
  var PREVIEW_CHARS = 90;

  function noteUnread(message) {
    if (!ui.panel.hidden && !document.hidden) return; // read as it arrives
    if (message.seq <= Widget.readSeq || message.body.kind === "quick_replies") return;
    Widget.unread.push({ seq: message.seq, who: message.author_name, text: previewText(message) });
    showUnread();
  }

  function previewText(message) {
    var body = message.body;
    var text = typeof body === "string" ? body : body.text || body.title || body.name || body.meaning || "";
    if (!text && message.kind === "file")
      text = body.files
        .map(function (file) {
          return file.name;
        })
        .join(", ");
    return text.length > PREVIEW_CHARS ? text.slice(0, PREVIEW_CHARS - 1) + "…" : text;
  }

  function readUpTo(seq) {
    Widget.readSeq = Math.max(Widget.readSeq, seq);
    Widget.unread = Widget.unread.filter(function (item) {
      return item.seq > Widget.readSeq;
    });
    showUnread();
  }

  function clearUnread() {
    Widget.unread = [];
    showUnread();
  }

  function showUnread() {
    var count = Widget.unread.length;
    var minimised = ui.panel.hidden;
    ui.badge.hidden = !count || !minimised;
    ui.badge.textContent = count > 9 ? "9+" : String(count);
    ui.launcher.setAttribute("data-unread", String(count));
    if (count && minimised)
      ui.launcher.setAttribute(
        "aria-label",
        t("{label} ({count} unread)", { label: ui.launcher.textContent, count: count }),
      );
    else ui.launcher.removeAttribute("aria-label");
    var last = Widget.unread[count - 1];
    ui.preview.hidden = !last || !minimised;
    ui.preview.textContent = "";
    if (last && minimised) {
      if (last.who) ui.preview.appendChild(el("strong", { text: last.who }));
      ui.preview.appendChild(el("span", { text: last.text }));
      ui.unreadLive.textContent = (last.who ? last.who + ": " : "") + last.text;
    }
  }
  Widget.render.readUpTo = readUpTo;
  Widget.render.clearUnread = clearUnread;

  Widget.partnerSeenSeq = 0;
  /** The other side has read up to seq: the visitor's messages up to it get ✓✓. */
  function partnerSeen(seq) {
    Widget.partnerSeenSeq = Math.max(Widget.partnerSeenSeq, seq);
    ui.log.querySelectorAll(".msg.mine[data-seq]").forEach(function (item) {
      if (Number(item.getAttribute("data-seq")) <= Widget.partnerSeenSeq) showTick(item, true);
    });
  }
  Widget.render.partnerSeen = partnerSeen;

  function showTick(item, seen) {
    var tick = item.querySelector(".tick");
    if (!tick) return;
    item.classList.toggle("seen", seen);
    tick.textContent = seen ? "✓✓" : "✓";
    tick.setAttribute("aria-label", seen ? "seen" : "sent");
    tick.setAttribute("title", seen ? t("Seen") : t("Sent"));
  }

  function messageItem(message) {
    // A notice is the conversation's, whoever caused it (the visitor's own "… closed" too); so is
    // a tombstone: its author's data was erased on request (docs/privacy.md).
    var system = message.kind === "notice" || message.kind === "erased";
    var who = system ? "system" : mine(message) ? "mine" : message.author_role;
    var item = el("li", { class: "msg " + who, "data-seq": String(message.seq) });
    if (system) {
      item.textContent = message.kind === "erased" ? t("Message removed") : message.body;
      return item;
    }
    if (!mine(message)) {
      // Who speaks, at a glance: the bot and the operator each with their avatar and colours.
      var name = message.author_name || (message.author_role === "bot" ? t("Bot") : t("Support"));
      item.appendChild(
        el("span", {
          class: "avatar",
          "aria-hidden": "true",
          text: initial(name),
        }),
      );
      item.appendChild(
        el("span", { class: "author", text: message.author_role === "bot" ? t("{name} · bot", { name: name }) : name }),
      );
    }
    if (message.kind === "bot") item.appendChild(botContent(message.body));
    else if (message.kind === "action") item.appendChild(el("p", { text: "[" + message.body.meaning + "]" }));
    else if (message.kind === "file") item.appendChild(filesContent(message));
    else item.appendChild(el("p", { text: String(message.body) }));
    var meta = el("span", { class: "meta" }, [clock(message.created_at)]);
    item.appendChild(meta);
    if (mine(message)) {
      meta.appendChild(el("span", { class: "tick" }));
      showTick(item, message.seq <= Widget.partnerSeenSeq);
    }
    return item;
  }

  /** A file message: each image as its thumbnail, each other file as a link; links are signed
   * for minutes, so they are asked for when drawn (and again on hover or focus, if stale). */
  function filesContent(message) {
    var box = el("div", { class: "files" });
    if (message.body.text) box.appendChild(el("p", { text: message.body.text }));
    message.body.files.forEach(function (file) {
      var link = el("a", { target: "_blank", rel: "noopener noreferrer", "data-file-id": file.file_id }, [
        file.thumbnail ? el("img", { alt: file.name }) : el("span", { text: "⬇ " + file.name }),
      ]);
      function fresh() {
        client.fileLink(message.conversation_id, file.file_id).then(
          function (links) {
            link.href = links.url;
            var img = link.querySelector("img");
            if (img && img.getAttribute("src") !== links.thumbnail_url) img.src = links.thumbnail_url;
          },
          function () {
            link.title = t("This file is not available.");
          },
        );
      }
      link.addEventListener("mouseenter", fresh);
      link.addEventListener("focus", fresh);
      fresh();
      box.appendChild(link);
    });
    return box;
  }

  function initial(name) {
    return (name.trim().charAt(0) || "?").toUpperCase();
  }

  function clock(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return null;
    return el("time", {
      datetime: iso,
      text: date.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }),
    });
  }

  /** One rich content of a bot message (docs/protocol.md "Bot messages"). */
  function botContent(body) {
    switch (body.kind) {
      case "text":
        return el("p", { text: body.text });
      case "article":
        return el("a", { class: "article", href: body.url, target: "_blank", rel: "noopener" }, [
          el("strong", { text: body.title }),
          body.summary ? el("span", { text: body.summary }) : null,
        ]);
      case "image":
        return el("img", { src: body.url, alt: body.alt || "" });
      case "video":
        return el("video", { src: body.url, controls: "", poster: body.poster || "" });
      case "file":
        return el("a", {
          href: body.url,
          download: body.name,
          target: "_blank",
          rel: "noopener",
          text: "⬇ " + body.name,
        });
      case "cards":
        return el(
          "div",
          { class: "cards" },
          body.cards.map(function (card) {
            return el(
              card.url ? "a" : "div",
              card.url ? { class: "card", href: card.url, target: "_blank", rel: "noopener" } : { class: "card" },
              [el("strong", { text: card.title }), card.text ? el("span", { text: card.text }) : null],
            );
          }),
        );
      case "menu":
        return choiceList(body.text, body.options);
      case "suggestions":
        return choiceList(body.text, body.suggestions);
      default:
        return (
          agentContent(body, el, h.sendText) ||
          el("p", { class: "aside", text: body.text || body.code || body.mood || body.attitude || "" })
        );
    }
  }

  function choiceList(text, options) {
    return el(
      "div",
      { class: "choices" },
      [el("p", { text: text })].concat(
        options.map(function (option) {
          return el("button", {
            type: "button",
            class: "choice",
            text: option.label,
            onclick: function () {
              h.sendText(option.reply);
            },
          });
        }),
      ),
    );
  }

  /** The bot's offer is over (answered, or someone else spoke): no buttons or chips left behind. */
  function clearChoices() {
    ui.answers.textContent = "";
    ui.chips.textContent = "";
  }

  function answerLabels() {
    return Array.prototype.map.call(ui.answers.querySelectorAll(".answer"), function (button) {
      return button.textContent;
    });
  }

  /** Quick replies that repeat the step's answer buttons are not shown a second time. */
  function dropChipsLikeAnswers() {
    var labels = answerLabels();
    ui.chips.querySelectorAll(".chip").forEach(function (chip) {
      if (labels.indexOf(chip.textContent) >= 0) chip.remove();
    });
  }

  function showChips(content) {
    ui.chips.textContent = "";
    if (content.action !== "show") return;
    var labels = answerLabels();
    content.replies.forEach(function (reply) {
      if (labels.indexOf(reply) >= 0) return; // already an answer button
      ui.chips.appendChild(
        el("button", {
          type: "button",
          class: "chip",
          text: reply,
          onclick: function () {
            ui.chips.textContent = "";
            h.sendText(reply);
          },
        }),
      );
    });
  }

  var onDelta = draftBubbles(el, ui.log, h.scrollDown);
  client.on("message.delta", function (data) {
    if (ours(data)) onDelta(data);
  });

  client.on("bot.step", function (step) {
    if (!ours(step)) return;
    ui.answers.textContent = "";
    (step.answers || []).forEach(function (answer) {
      ui.answers.appendChild(
        el("button", {
          type: "button",
          class: "answer",
          "data-answer": answer.id,
          text: answer.label,
          // The pick is said as the visitor's message (the bot matches an answer by its label),
          // so it shows in the chat, the operator's history and the transcript like anything typed.
          onclick: function () {
            clearChoices();
            h.sendText(answer.label);
          },
        }),
      );
    });
    if (step.quick_replies) showChips({ action: "show", replies: step.quick_replies });
    else dropChipsLikeAnswers();
    h.scrollDown();
  });

  client.on("typing", function (data) {
    if (!ours(data) || mine({ author_id: data.user_id })) return;
    clearTimeout(Widget.typingTimer);
    ui.status.textContent = data.active ? t("{name} is typing…", { name: data.name }) : statusText();
    if (data.active)
      Widget.typingTimer = setTimeout(
        function () {
          ui.status.textContent = statusText();
        },
        // A bot's typing says how long it lasts (docs/bots.md): a slow bot renews it.
        data.ttl_seconds ? data.ttl_seconds * 1000 : h.TYPING_SHOWN_MS,
      );
  });

  client.on("member.seen", function (data) {
    if (!ours(data) || mine({ author_id: data.user_id })) return;
    partnerSeen(data.seq);
  });

  client.on("queue.position", function (data) {
    if (!ours(data)) return;
    Widget.queue = data.position > 0 ? data : null;
    ui.status.textContent = statusText();
  });

  client.on("notice", function (notice) {
    if (notice.code === 1002) return h.showBanner(h.PLAIN[1002] + (notice.text ? " (" + notice.text + ")" : ""));
    if (notice.level === "info" && notice.code === null && /maintenance/i.test(notice.text)) h.hideBanner();
    // "Olivia joined the conversation" comes twice: live, and as a stored notice of the
    // conversation (with its seq). Shown once: the live line goes when the stored one arrives.
    if (storedNoticeShown(notice.text)) return;
    h.systemLine(notice.text).classList.add("live-notice");
  });

  function storedNoticeShown(text) {
    return Array.prototype.some.call(ui.log.querySelectorAll(".msg.system[data-seq]"), function (item) {
      return item.textContent === text;
    });
  }

  function dropLiveNotice(text) {
    ui.log.querySelectorAll(".live-notice").forEach(function (item) {
      if (item.textContent === text) item.remove();
    });
  }

  client.on("conversation.updated", function (data) {
    if (ours(data) && data.status === "closed") h.showClosing();
  });

  client.on("error", function (error) {
    if (error.code === 9003 || error.code === 1002) h.showBanner(h.plain(error));
  });

  client.on("kickoff", function () {
    kickedOff();
  });

  function showConnection() {
    var status = Widget.connection;
    var offline = typeof navigator !== "undefined" && navigator.onLine === false;
    var trouble = Widget.started && (status === "reconnecting" || offline);
    ui.connection.hidden = !trouble;
    ui.status.hidden = trouble; // the notice says it: the status line would repeat it
    ui.connection.setAttribute("data-state", offline ? "offline" : "reconnecting");
    ui.connection.textContent = offline ? h.PLAIN.offline : t("Connection lost. Reconnecting…");
  }
  window.addEventListener("offline", showConnection);
  window.addEventListener("online", showConnection);

  client.onStatusChange(function (status, detail) {
    Widget.connection = status;
    ui.status.textContent = statusText();
    showConnection();
    if (status === "online") return h.hideBanner();
    var code = detail && detail.error && detail.error.code;
    if (status === "reconnecting" && code === 1002) h.showBanner(h.PLAIN[1002]);
    else if (status === "offline" && detail && detail.code === 4003) kickedOff();
    else if (status === "offline" && detail && detail.code === 1008) h.showBanner(h.PLAIN[1008]);
    else if (status === "offline" && detail && detail.code === 4011) h.showBanner(h.PLAIN[9114]);
  });

  function statusText() {
    if (Widget.connection === "reconnecting") return t("Connection lost. Reconnecting…");
    if (Widget.connection === "connecting") return t("Connecting…");
    if (Widget.connection === "offline") return t("Disconnected.");
    if (Widget.queue) {
      var position = Widget.queue.position;
      if (!Widget.queue.estimated_wait_seconds)
        return t("You are number {position} in the queue.", { position: position });
      var minutes = Math.max(1, Math.round(Widget.queue.estimated_wait_seconds / 60));
      return t("You are number {position} in the queue, about {minutes} min.", {
        position: position,
        minutes: minutes,
      });
    }
    return "";
  }

  /** Another tab or window took the chat over: say so, and offer to take it back. */
  function kickedOff() {
    if (ui.banner.querySelector(".take-back")) return;
    h.showBanner(h.PLAIN.kickoff);
    ui.banner.appendChild(
      el("button", {
        type: "button",
        class: "take-back",
        text: t("Continue here"),
        onclick: function () {
          h.hideBanner();
          Widget.started = false;
          client.loginVisitor().then(
            function () {
              h.start();
            },
            function (error) {
              h.showBanner(h.plain(error));
            },
          );
        },
      }),
    );
  }
}
