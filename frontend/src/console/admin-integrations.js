/* Parley console, admin screen "Bots and webhooks": the integrations service's admin API
 * (/integrations, docs/bots.md and docs/webhooks.md). Register an external bot or a webhook
 * subscription, see its signing secret once, rotate it, remove it; list the dead letters and send
 * them again. Every text from the network goes in as textContent (admin-forms' el); a button's
 * aria-label starts with its visible words (WCAG 2.5.3, label in name). */
import { callApi, path } from "./console-http.js";
import { button, checkboxes, choice, el, field, outcome, table } from "./admin-forms.js";
import { t } from "./console-i18n.js";
import { BOT_FAILURE_POLICIES, WEBHOOK_EVENT_TYPES } from "../protocol.js";

const POLICY_WORDS = {
  handoff: "Hand the visitor to a person",
  apologise: "Apologise to the visitor",
  wait: "Wait",
};

/** The secret of what was just created or rotated: shown once, with what to do with it. */
function secretNote(/** @type {HTMLElement} */ box, /** @type {string} */ whose, /** @type {string} */ secret) {
  box.replaceChildren(
    el("p", { text: t("Signing secret of {name}. Copy it now: it is not shown again.", { name: whose }) }),
    el("code", { className: "secret", text: secret }),
  );
  box.hidden = false;
}

export function integrationsScreen(/** @type {HTMLElement} */ root, /** @type {any} */ client) {
  const result = outcome();
  const secretBox = el("div", { className: "secret-note", role: "status", hidden: true });
  const botsBox = el("div");
  const hooksBox = el("div");
  const deadBox = el("div");
  const botFormBox = el("div");
  const hookFormBox = el("div");
  let channelNames = new Map();

  function channelsOf(/** @type {string[]} */ ids) {
    return ids.length ? ids.map((id) => channelNames.get(id) || id).join(", ") : t("all channels");
  }

  function rotate(/** @type {string} */ where, /** @type {string} */ name) {
    callApi(client, where, { method: "POST" }).then((answer) => {
      secretNote(secretBox, name, answer.secret);
      result.done(t("New secret for {name}: the previous one keeps signing beside it for a day.", { name: name }));
      load();
    }, result.fail);
  }

  function remove(/** @type {string} */ where, /** @type {string} */ name) {
    if (!window.confirm(t("Remove {name}? Its pending deliveries are dead-lettered.", { name: name }))) return;
    callApi(client, where, { method: "DELETE" }).then(() => {
      result.done(t("{name} removed.", { name: name }));
      load();
    }, result.fail);
  }

  /**
   * @param {string} where
   * @param {any} [body]
   */
  function redeliver(where, body) {
    callApi(client, where, { method: "POST", body: body }).then((answer) => {
      const count = answer.count === undefined ? 1 : answer.count; // one: a DeliveryView; all: Redelivered
      result.done(t("{count} sent again, same webhook-id.", { count: count }));
      load();
    }, result.fail);
  }

  function drawBots(/** @type {any[]} */ bots) {
    botsBox.replaceChildren(
      bots.length
        ? table(
            t("Registered bots"),
            [t("Name"), t("Webhook URL"), t("Channels"), t("If unreachable"), ""],
            bots.map((bot) => [
              bot.name + (bot.active ? "" : " (" + t("inactive") + ")"),
              bot.webhook_url,
              channelsOf(bot.channel_ids),
              t(POLICY_WORDS[bot.failure_policy] || bot.failure_policy),
              el("span", { className: "actions" }, [
                button(t("Rotate secret"), () => rotate(path("/integrations/bots/", bot.id, "/secret"), bot.name), {
                  "aria-label": t("Rotate secret of {name}", { name: bot.name }),
                }),
                button(t("Remove"), () => remove(path("/integrations/bots/", bot.id), bot.name), {
                  "aria-label": t("Remove {name}", { name: bot.name }),
                }),
              ]),
            ]),
          )
        : el("p", { className: "empty", text: t("No external bot yet.") }),
    );
  }

  function drawWebhooks(/** @type {any[]} */ hooks) {
    hooksBox.replaceChildren(
      hooks.length
        ? table(
            t("Subscriptions"),
            [t("URL"), t("Events"), t("Channels"), ""],
            hooks.map((hook) => [
              hook.url + (hook.description ? " — " + hook.description : ""),
              hook.event_types.join(", "),
              channelsOf(hook.channel_ids),
              el("span", { className: "actions" }, [
                button(
                  t("Rotate secret"),
                  () => rotate(path("/integrations/webhooks/", hook.id, "/secret"), hook.url),
                  {
                    "aria-label": t("Rotate secret of {name}", { name: hook.url }),
                  },
                ),
                button(t("Remove"), () => remove(path("/integrations/webhooks/", hook.id), hook.url), {
                  "aria-label": t("Remove {name}", { name: hook.url }),
                }),
              ]),
            ]),
          )
        : el("p", { className: "empty", text: t("No webhook subscription yet.") }),
    );
  }

  function drawDead(/** @type {any[]} */ dead) {
    if (!dead.length) {
      deadBox.replaceChildren(el("p", { className: "empty", text: t("No dead letter: every delivery arrived.") }));
      return;
    }
    deadBox.replaceChildren(
      table(
        t("Dead letters (every attempt failed)"),
        [t("Event"), t("To"), t("Attempts"), t("Last answer"), ""],
        dead.map((delivery) => {
          const last = delivery.log[delivery.log.length - 1];
          return [
            delivery.event_type,
            delivery.endpoint_id,
            String(delivery.attempts),
            last ? last.error || String(last.status) : "",
            button(t("Send again"), () => redeliver(path("/integrations/deliveries/", delivery.id, "/redeliver")), {
              "aria-label": t("Send again: {id}", { id: delivery.id }),
            }),
          ];
        }),
      ),
      button(t("Send every dead letter again"), () => redeliver("/integrations/deliveries/redeliver", {}), {
        id: "admin-redeliver-all",
      }),
    );
  }

  function botForm(/** @type {string[][]} */ channelOptions) {
    const name = field(t("Name"), "input", { required: true, maxlength: "80", autocomplete: "off" });
    const url = field(
      t("Webhook URL"),
      "input",
      { type: "url", required: true },
      t("Parley sends the bot each event here, signed (public https)."),
    );
    const avatar = field(t("Avatar URL (optional)"), "input", { type: "url" });
    const channels = checkboxes(t("Channels it serves"), channelOptions, t("No channel yet: create one first."));
    const policy = choice(
      t("If the bot cannot be reached"),
      BOT_FAILURE_POLICIES.map((p) => [p, t(POLICY_WORDS[p] || p)]),
      "handoff",
    );
    function onSubmit(/** @type {Event} */ event) {
      event.preventDefault();
      const body = {
        name: name.input.value.trim(),
        webhook_url: url.input.value.trim(),
        avatar_url: avatar.input.value.trim(),
        channel_ids: channels.chosen(),
        failure_policy: policy.input.value,
      };
      callApi(client, "/integrations/bots", { method: "POST", body: body }).then((bot) => {
        secretNote(secretBox, bot.name, bot.secret);
        result.done(t("Bot {name} registered.", { name: bot.name }));
        load();
      }, result.fail);
    }
    return el("form", { className: "admin-form", "aria-label": t("Register a bot"), onsubmit: onSubmit }, [
      el("h3", { text: t("Register a bot") }),
      name.row,
      url.row,
      avatar.row,
      channels.node,
      policy.row,
      el("div", { className: "actions" }, [
        el("button", { type: "submit", id: "admin-save-bot", text: t("Register") }),
      ]),
    ]);
  }

  function webhookForm(/** @type {string[][]} */ channelOptions) {
    const url = field(t("URL"), "input", { type: "url", required: true }, t("Public https; each request is signed."));
    const description = field(t("Description (optional)"), "input", { maxlength: "500" });
    const events = checkboxes(
      t("Events"),
      WEBHOOK_EVENT_TYPES.map((type) => [type, type]),
      "",
    );
    const channels = checkboxes(t("Channels (none: all)"), channelOptions, t("No channel yet."));
    function onSubmit(/** @type {Event} */ event) {
      event.preventDefault();
      const body = {
        url: url.input.value.trim(),
        description: description.input.value.trim(),
        event_types: events.chosen(),
        channel_ids: channels.chosen(),
      };
      callApi(client, "/integrations/webhooks", { method: "POST", body: body }).then((hook) => {
        secretNote(secretBox, hook.url, hook.secret);
        result.done(t("Subscription to {url} created.", { url: hook.url }));
        load();
      }, result.fail);
    }
    return el("form", { className: "admin-form", "aria-label": t("Subscribe a webhook"), onsubmit: onSubmit }, [
      el("h3", { text: t("Subscribe a webhook") }),
      url.row,
      description.row,
      events.node,
      channels.node,
      el("div", { className: "actions" }, [
        el("button", { type: "submit", id: "admin-save-webhook", text: t("Subscribe") }),
      ]),
    ]);
  }

  function load() {
    return Promise.all([
      callApi(client, "/channels"),
      callApi(client, "/integrations/bots"),
      callApi(client, "/integrations/webhooks"),
      callApi(client, "/integrations/deliveries?state=dead&limit=50"),
    ]).then(([channels, bots, hooks, dead]) => {
      channelNames = new Map(channels.channels.map((channel) => [channel.id, channel.name]));
      drawBots(bots.bots);
      drawWebhooks(hooks.webhooks);
      drawDead(dead.deliveries);
    }, result.fail);
  }

  root.replaceChildren(
    el("h2", { text: t("Bots and webhooks") }),
    result.node,
    secretBox,
    el("h3", { text: t("External bots") }),
    botsBox,
    botFormBox,
    el("h3", { text: t("Webhook subscriptions") }),
    hooksBox,
    hookFormBox,
    el("h3", { text: t("Dead letters") }),
    deadBox,
  );
  load().then(() => {
    const options = [...channelNames].map(([id, name]) => [id, name]);
    botFormBox.replaceChildren(botForm(options));
    hookFormBox.replaceChildren(webhookForm(options));
  });
}
