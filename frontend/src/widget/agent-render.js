/* Parley web widget: what an external bot adds (docs/bots.md). The bm-aichat kinds list,
 * site_info, rich_text, related and everyone_asking, and streamed replies (message.delta frames)
 * drawn as a draft bubble that the finished message replaces. widget-render.js calls these. */

// What a rich_text body may keep. The server sanitises it already (docs/protocol.md); this is the
// same allowlist again, so a page never runs what a server bug let through.
var RICH_TAGS = [
  "P",
  "BR",
  "B",
  "STRONG",
  "I",
  "EM",
  "U",
  "UL",
  "OL",
  "LI",
  "A",
  "BLOCKQUOTE",
  "CODE",
  "PRE",
  "H3",
  "H4",
];
var LINK_SCHEMES = ["http:", "https:", "mailto:"];

/** The element for a content kind external bots add, or null for another kind. */
export function agentContent(body, el, sendText) {
  switch (body.kind) {
    case "list":
      return el("div", { class: "list" }, [
        body.text ? el("p", { text: body.text }) : null,
        el(
          body.ordered ? "ol" : "ul",
          {},
          body.items.map(function (item) {
            var title = item.url
              ? el("a", { href: item.url, target: "_blank", rel: "noopener", text: item.title })
              : el("strong", { text: item.title });
            return el("li", {}, [title, item.text ? el("span", { text: " " + item.text }) : null]);
          }),
        ),
      ]);
    case "site_info":
      return el("div", { class: "site-info" }, [
        el("strong", { text: body.name }),
        body.address ? el("span", { text: body.address }) : null,
        body.phone ? el("a", { href: "tel:" + body.phone, text: body.phone }) : null,
        el("a", {
          href: "https://www.openstreetmap.org/?mlat=" + body.latitude + "&mlon=" + body.longitude,
          target: "_blank",
          rel: "noopener",
          text: "Map",
        }),
      ]);
    case "rich_text":
      return richText(body.html, el);
    case "related":
    case "everyone_asking":
      return el(
        "div",
        { class: "choices " + body.kind },
        [body.text ? el("p", { text: body.text }) : null].concat(
          body.questions.map(function (question) {
            return el("button", {
              type: "button",
              class: "choice",
              text: question,
              onclick: function () {
                sendText(question);
              },
            });
          }),
        ),
      );
    default:
      return null;
  }
}

function richText(html, el) {
  var box = el("div", { class: "rich-text" });
  var parsed = new DOMParser().parseFromString(html, "text/html").body;
  Array.prototype.forEach.call(parsed.childNodes, function (node) {
    var kept = keep(node, el);
    if (kept) box.appendChild(kept);
  });
  return box;
}

function keep(node, el) {
  if (node.nodeType === 3) return document.createTextNode(node.textContent || "");
  if (node.nodeType !== 1 || RICH_TAGS.indexOf(node.tagName) < 0) return null;
  var attrs = {};
  if (node.tagName === "A") {
    var href = node.getAttribute("href") || "";
    try {
      if (LINK_SCHEMES.indexOf(new URL(href, location.href).protocol) >= 0) attrs.href = href;
    } catch (e) {
      // not a URL: the link text stays, without a target
    }
    attrs.target = "_blank";
    attrs.rel = "noopener noreferrer nofollow";
  }
  var copy = el(node.tagName.toLowerCase(), attrs);
  Array.prototype.forEach.call(node.childNodes, function (child) {
    var kept = keep(child, el);
    if (kept) copy.appendChild(kept);
  });
  return copy;
}

/** Streamed replies: one bubble per draft, its text put together by the frames' offsets. The
 * bubble carries the draft id as its client_msg_id, so the finished message (whose client_msg_id
 * is the draft id) replaces it like any pending bubble. */
export function draftBubbles(el, log, scrollDown) {
  var texts = {};
  return function onDelta(data) {
    var bubble = log.querySelector('[data-client-msg-id="' + CSS.escape(data.draft_id) + '"]');
    var known = texts[data.draft_id] || "";
    if (data.offset > known.length) return; // a piece missed: the finished message carries it all
    known = known.slice(0, data.offset) + data.text;
    texts[data.draft_id] = known;
    if (!bubble) {
      bubble = el("li", { class: "msg bot draft", "data-client-msg-id": data.draft_id, "aria-busy": "true" }, [
        el("span", { class: "author", text: data.author_name || "Bot" }),
        el("p", { class: "draft-text" }),
      ]);
      log.appendChild(bubble);
    }
    bubble.querySelector(".draft-text").textContent = known;
    scrollDown();
  };
}

/** bm-aichat's expression notice: the client drew the bot's expression (a delivery ack). */
export function noticeExpression(client, message) {
  if (message.kind !== "bot" || message.body.kind !== "expression") return;
  client
    .request("expression.notice", { conversation_id: message.conversation_id, seq: message.seq, status: 1 })
    .catch(function () {
      // an ack lost is resent by nobody and needed by nobody: the next seen covers it
    });
}
