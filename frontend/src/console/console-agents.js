/* Parley operator console: what an external bot adds to a conversation (docs/bots.md): the text
 * of the kinds external bots post, and the visitor's location and the bot's hand-off note. */
import { t } from "./console-i18n.js";

/** One line of text for a bot content of the kinds external bots add (null for another kind). */
export function agentText(body) {
  switch (body.kind) {
    case "list":
      return (
        (body.text ? body.text + " " : "") +
        body.items
          .map(function (item) {
            return "• " + item.title;
          })
          .join(" ")
      );
    case "site_info":
      return "📍 " + body.name + (body.address ? ", " + body.address : "");
    case "rich_text":
      // Shown as text: the console never renders a bot's HTML.
      return new DOMParser().parseFromString(body.html, "text/html").body.textContent || "";
    case "related":
    case "everyone_asking":
      return (body.text ? body.text + ": " : "") + body.questions.join(" · ");
    default:
      return null;
  }
}

/** What the operator should know of the bot and the visitor's whereabouts ("" when nothing). */
export function agentNote(summary) {
  var parts = [];
  var place = summary.visitor_location;
  if (place) {
    var where = [place.name, place.street, place.district, place.city, place.province, place.country].filter(Boolean);
    parts.push("📍 " + (where.length ? where.join(", ") : place.latitude + ", " + place.longitude));
  }
  if (summary.handoff)
    parts.push(
      t("Bot hand-off: {reason}", { reason: summary.handoff.reason }) +
        (summary.handoff.summary ? " — " + summary.handoff.summary : ""),
    );
  if (summary.controller === "bot") parts.push(t("The bot is answering"));
  return parts.join(" · ");
}
