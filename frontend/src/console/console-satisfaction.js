/* Parley console: visitor satisfaction (chat_session's GET /channels/{id}/ratings): per channel,
 * its ratings, average and CSAT (the share of 4 and 5 stars) over the last 30 days, and the same
 * per operator. Operators see the channels they serve (in the sidebar), admins every channel
 * (under Administration). */
import { callApi, path } from "./console-http.js";
import { el, outcome, table } from "./admin-forms.js";
import { t } from "./console-i18n.js";

// The window shown: a month is what teams compare week to week.
const WINDOW_DAYS = 30;

/** "87.5% (8)" or a dash when nothing was rated. */
export function csatText(/** @type {{count: number, csat_percent: number | null}} */ figures) {
  return figures.count ? figures.csat_percent + "% (" + figures.count + ")" : "—";
}

function averageText(figures) {
  return figures.average === null ? "—" : "★ " + figures.average.toFixed(1);
}

/** One table per channel: the channel's line first, then each operator's. */
export function drawSatisfaction(
  /** @type {HTMLElement} */ root,
  /** @type {any} */ client,
  /** @type {any[]} */ channels,
) {
  const result = outcome();
  root.replaceChildren(
    el("p", { className: "hint", text: t("Last {days} days; CSAT: share of 4 and 5 stars.", { days: WINDOW_DAYS }) }),
    result.node,
  );
  channels.forEach((channel) => {
    const box = el("div", { "data-channel-id": channel.id });
    root.appendChild(box);
    callApi(client, path("/channels/", channel.id, "/ratings") + "?days=" + WINDOW_DAYS).then((ratings) => {
      const rows = [[t("Whole channel"), csatText(ratings.channel), averageText(ratings.channel)]].concat(
        ratings.operators.map((op) => [op.name, csatText(op), averageText(op)]),
      );
      box.replaceChildren(table(channel.name, [t("Who"), t("CSAT (ratings)"), t("Average")], rows));
    }, result.fail);
  });
}

/** The admin tab: every channel's satisfaction. */
export function satisfactionScreen(/** @type {HTMLElement} */ root, /** @type {any} */ client) {
  const body = el("div");
  root.replaceChildren(el("h2", { text: t("Satisfaction") }), body);
  callApi(client, "/channels").then(
    (answer) => drawSatisfaction(body, client, answer.channels),
    (error) => {
      const failed = outcome();
      body.replaceChildren(failed.node);
      failed.fail(error);
    },
  );
}
