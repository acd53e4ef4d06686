/* Parley web widget, part 2: what the server pushes, drawn. Messages (text, bot rich contents,
 * notices), bot steps with answer buttons, quick replies, typing, seen ticks, queue position,
 * the connection's state and errors in plain words. widget.js calls widgetEvents(widget) once it
 * has built its frame. */

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
    var pending =
      message.client_msg_id && ui.log.querySelector('[data-client-msg-id="' + CSS.escape(message.client_msg_id) + '"]');
    if (pending) pending.remove();
    // Quick replies are chips under the input, not a bubble of their own.
    if (message.kind === "bot" && message.body.kind === "quick_replies") {
      showChips(message.body);
      ui.log.appendChild(el("li", { class: "msg meta", "data-seq": String(message.seq), hidden: "" })); // keeps its place in seq order
    } else ui.log.appendChild(messageItem(message));
    h.scrollDown();
  });

  function messageItem(message) {
    var who = mine(message) ? "mine" : message.kind === "notice" ? "system" : message.author_role;
    var item = el("li", { class: "msg " + who, "data-seq": String(message.seq) });
    if (message.kind === "notice") {
      item.textContent = message.body;
      return item;
    }
    if (!mine(message)) item.appendChild(el("span", { class: "author", text: message.author_name }));
    if (message.kind === "bot") item.appendChild(botContent(message.body));
    else if (message.kind === "action") item.appendChild(el("p", { text: "[" + message.body.meaning + "]" }));
    else item.appendChild(el("p", { text: String(message.body) }));
    if (mine(message)) item.appendChild(el("span", { class: "tick", "aria-label": "sent", text: "✓" }));
    return item;
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
        return el("p", { class: "aside", text: body.text || body.code || body.mood || body.attitude || "" });
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

  function showChips(content) {
    ui.chips.textContent = "";
    if (content.action !== "show") return;
    content.replies.forEach(function (reply) {
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
          onclick: function () {
            ui.answers.textContent = "";
            ui.chips.textContent = "";
            client
              .request("chatbot.answer", {
                conversation_id: step.conversation_id,
                step_id: step.step_id,
                answer_id: answer.id,
              })
              .catch(function (error) {
                h.showBanner(h.plain(error));
              });
          },
        }),
      );
    });
    if (step.quick_replies) showChips({ action: "show", replies: step.quick_replies });
    h.scrollDown();
  });

  client.on("typing", function (data) {
    if (!ours(data) || mine({ author_id: data.user_id })) return;
    clearTimeout(Widget.typingTimer);
    ui.status.textContent = data.active ? data.name + " is typing…" : statusText();
    if (data.active)
      Widget.typingTimer = setTimeout(function () {
        ui.status.textContent = statusText();
      }, h.TYPING_SHOWN_MS);
  });

  client.on("member.seen", function (data) {
    if (!ours(data) || mine({ author_id: data.user_id })) return;
    ui.log.querySelectorAll(".msg.mine[data-seq]").forEach(function (item) {
      if (Number(item.getAttribute("data-seq")) <= data.seq) {
        item.classList.add("seen");
        item.querySelector(".tick").textContent = "✓✓";
      }
    });
  });

  client.on("queue.position", function (data) {
    if (!ours(data)) return;
    Widget.queue = data.position > 0 ? data : null;
    ui.status.textContent = statusText();
  });

  client.on("notice", function (notice) {
    if (notice.code === 1002) return h.showBanner(h.PLAIN[1002] + (notice.text ? " (" + notice.text + ")" : ""));
    if (notice.level === "info" && notice.code === null && /maintenance/i.test(notice.text)) h.hideBanner();
    h.systemLine(notice.text);
  });

  client.on("conversation.updated", function (data) {
    if (ours(data) && data.status === "closed") h.showClosing();
  });

  client.on("error", function (error) {
    if (error.code === 9003 || error.code === 1002) h.showBanner(h.plain(error));
  });

  client.on("kickoff", function () {
    kickedOff();
  });

  client.onStatusChange(function (status, detail) {
    Widget.connection = status;
    ui.status.textContent = statusText();
    if (status === "online") return h.hideBanner();
    var code = detail && detail.error && detail.error.code;
    if (status === "reconnecting" && code === 1002) h.showBanner(h.PLAIN[1002]);
    else if (status === "offline" && detail && detail.code === 4003) kickedOff();
    else if (status === "offline" && detail && detail.code === 1008) h.showBanner(h.PLAIN[1008]);
  });

  function statusText() {
    if (Widget.connection === "reconnecting") return "Connection lost. Reconnecting…";
    if (Widget.connection === "connecting") return "Connecting…";
    if (Widget.connection === "offline") return "Disconnected.";
    if (Widget.queue) {
      var wait = Widget.queue.estimated_wait_seconds
        ? ", about " + Math.max(1, Math.round(Widget.queue.estimated_wait_seconds / 60)) + " min"
        : "";
      return "You are number " + Widget.queue.position + " in the queue" + wait + ".";
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
        text: "Continue here",
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
