/* Parley console: what visitors left with the widget's offline form (chat_session's
 * GET /channels/{id}/offline-requests), per channel the operator serves, newest first. The team
 * answers by e-mail: each request has a reply link that opens the operator's mail program with
 * the visitor's address and their message quoted. */
import { callApi, path } from "./console-http.js";
import { el, outcome } from "./admin-forms.js";
import { t } from "./console-i18n.js";

/** The mailto: link answering one request (the message quoted, as mail programs do). */
export function replyLink(/** @type {{email: string, message: string, channel_name: string}} */ request) {
  const subject = t("Your message to {channel}", { channel: request.channel_name });
  const quoted = request.message
    .split("\n")
    .map((line) => "> " + line)
    .join("\n");
  return (
    "mailto:" +
    encodeURIComponent(request.email) +
    "?subject=" +
    encodeURIComponent(subject) +
    "&body=" +
    encodeURIComponent("\n\n" + quoted)
  );
}

function requestItem(/** @type {any} */ request, /** @type {string} */ channelName) {
  const when = new Date(request.created_at).toLocaleString();
  return el("li", { className: "offline-request", "data-request-id": request.id }, [
    el("p", { className: "offline-who" }, [
      el("strong", { text: request.name }),
      el("span", { text: " <" + request.email + ">" }),
      request.verified ? el("span", { className: "verified", text: t("Verified") }) : null,
    ]),
    el("p", { className: "offline-message", text: request.message }),
    el("p", { className: "hint" }, [
      el("time", { dateTime: request.created_at, text: when }),
      request.page_url ? el("span", { text: " · " + request.page_url }) : null,
    ]),
    el("a", {
      className: "offline-reply",
      href: replyLink({ email: request.email, message: request.message, channel_name: channelName }),
      text: t("Reply by e-mail"),
    }),
  ]);
}

/** One list per channel; the count of all of them in ``counter``. Drawn again each time the
 * section opens: a channel's list is replaced only when its requests changed, so a list being
 * read (or a "Reply by e-mail" being clicked) is not swapped under the pointer by the same list. */
export function drawOfflineRequests(
  /** @type {HTMLElement} */ root,
  /** @type {HTMLElement} */ counter,
  /** @type {any} */ client,
  /** @type {any[]} */ channels,
) {
  const result = outcome();
  // Shown only when there is something to say (an empty one leaves a gap above the lists).
  root.querySelectorAll(".outcome").forEach((node) => node.remove());
  const say = (/** @type {() => void} */ fill) => {
    if (!result.node.isConnected) root.prepend(result.node);
    fill();
  };
  const boxes = channels.map((channel) => {
    const kept = Array.from(root.children).find(
      (node) => node instanceof HTMLElement && node.dataset.channelId === channel.id,
    );
    return kept || el("div", { "data-channel-id": channel.id });
  });
  root.replaceChildren(...boxes);
  let total = 0;
  channels.forEach((channel, index) => {
    const box = /** @type {HTMLElement} */ (boxes[index]);
    callApi(client, path("/channels/", channel.id, "/offline-requests")).then(
      (answer) => {
        const requests = answer.offline_requests;
        total += requests.length;
        counter.textContent = String(total);
        const shown = requests.map((request) => request.id).join(" ");
        if (box.dataset.shown === shown) return;
        box.dataset.shown = shown;
        if (!requests.length) return box.replaceChildren();
        box.replaceChildren(
          el("h3", { text: channel.name }),
          el(
            "ul",
            { className: "offline-list" },
            requests.map((request) => requestItem(request, channel.name)),
          ),
        );
      },
      (error) => say(() => result.fail(error)),
    );
  });
  if (!channels.length) say(() => result.done(t("No offline message.")));
}
