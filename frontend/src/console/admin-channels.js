/* Parley console, admin screens: channels. The list, and one channel's editor: its words,
 * allowed origins, operators, chatbot script, routing and limits, attachment limits, retention,
 * sensitive words and business hours (chat_session's POST/PATCH /channels), then its canned
 * responses (PUT/DELETE /channels/{id}/canned-responses/{shortcut}). */
import { callApi, path } from "./console-http.js";
import { button, checkboxes, choice, el, field, lines, numberOrNull, outcome, table } from "./admin-forms.js";
import { t } from "./console-i18n.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/** The weekdays' names in the console's language. */
function weekdayName(/** @type {string} */ day) {
  const names = {
    mon: t("Monday"),
    tue: t("Tuesday"),
    wed: t("Wednesday"),
    thu: t("Thursday"),
    fri: t("Friday"),
    sat: t("Saturday"),
    sun: t("Sunday"),
  };
  return names[day];
}
const MEGABYTE = 1024 * 1024;

/** "09:00-12:00, 13:00-17:30" -> [{start, end}, ...] (the API checks the times). */
export function parseRanges(/** @type {string} */ text) {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [start, end] = part.split("-").map((clock) => clock.trim());
      return { start: start || "", end: end || "" };
    });
}

export function formatRanges(/** @type {{start: string, end: string}[] | undefined} */ ranges) {
  return (ranges || []).map((range) => range.start + "-" + range.end).join(", ");
}

/** The screen: every channel, "New channel", and the editor of the one chosen. */
export function channelsScreen(/** @type {HTMLElement} */ root, /** @type {any} */ client) {
  const result = outcome();
  const listBox = el("div");
  const editorBox = el("div");
  root.replaceChildren(
    el("h2", { text: t("Channels") }),
    button(t("New channel"), () => openEditor(null), { id: "admin-new-channel" }),
    result.node,
    listBox,
    editorBox,
  );
  let staff = [];
  let scripts = [];

  function load() {
    return Promise.all([
      callApi(client, "/channels"),
      callApi(client, "/auth/users?role=operator&limit=200"),
      callApi(client, "/chatbot/scripts").catch(() => ({ scripts: [] })),
    ]).then(([channels, users, scriptList]) => {
      staff = users.users.filter((user) => !user.disabled);
      scripts = scriptList.scripts;
      listBox.replaceChildren(
        table(
          t("Channels"),
          [t("Name"), t("Operators"), t("Chatbot script"), ""],
          channels.channels.map((channel) => [
            channel.name,
            String(channel.operator_ids.length),
            channel.chatbot_script_id || t("none"),
            button(t("Edit"), () => openEditor(channel), {
              "aria-label": t("Edit {name}", { name: channel.name }),
              "data-channel-id": channel.id,
            }),
          ]),
        ),
      );
    }, result.fail);
  }

  function openEditor(channel) {
    editorBox.replaceChildren(channelEditor(client, channel, staff, scripts, saved));
    const first = editorBox.querySelector("input");
    if (first) /** @type {HTMLElement} */ (first).focus();
  }

  function saved(channel) {
    load().then(() => openEditor(channel));
  }

  load();
}

function channelEditor(client, channel, staff, scripts, onSaved) {
  const editing = !!channel;
  const c = channel || {};
  const result = outcome();
  const name = field(t("Name"), "input", { required: true, maxlength: "100", value: c.name || "" });
  const welcome = field(t("Welcome message"), "textarea", { rows: "2", maxlength: "1000" });
  welcome.input.value = c.welcome || "";
  const offline = field(t("Offline message"), "textarea", { rows: "2", maxlength: "1000" });
  offline.input.value = c.offline_message || "";
  const offlineEmails = field(
    t("E-mail offline messages to"),
    "textarea",
    { rows: "2" },
    t("The team's addresses, one a line: each message left with the offline form is e-mailed there."),
  );
  offlineEmails.input.value = (c.offline_emails || []).join("\n");
  const origins = field(
    t("Allowed origins"),
    "textarea",
    { rows: "2" },
    t("The sites the widget may be embedded on, one a line (https://www.example.com)."),
  );
  origins.input.value = (c.allowed_origins || []).join("\n");
  // The channel's own script stays a choice even when the list did not load (or lost it), so
  // saving other fields never unassigns the bot by accident.
  const scriptOptions = [["", t("none")]].concat(scripts.map((s) => [s.id, s.name + " (" + s.id + ")"]));
  if (c.chatbot_script_id && !scripts.some((s) => s.id === c.chatbot_script_id))
    scriptOptions.push([c.chatbot_script_id, c.chatbot_script_id]);
  const script = choice(t("Chatbot script"), scriptOptions, c.chatbot_script_id || "");
  const capacity = field(t("Conversations per operator"), "input", {
    type: "number",
    min: "1",
    max: "100",
    value: String(c.operator_capacity || 4),
  });
  const routing = choice(
    t("Routing"),
    [
      ["least_busy", t("Least busy operator")],
      ["round_robin", t("Round robin")],
    ],
    c.routing || "least_busy",
  );
  const target = field(t("Answer within (seconds), else another operator"), "input", {
    type: "number",
    min: "1",
    value: String(c.response_target_seconds || 120),
  });
  const inactivity = field(t("Close after this many minutes of silence (0: never)"), "input", {
    type: "number",
    min: "0",
    value: String(c.inactivity_timeout_minutes ?? 30),
  });
  const retention = field(
    t("Keep closed conversations (days)"),
    "input",
    { type: "number", min: "0", value: c.retention_days ?? "" },
    t("Blank: the service's default; 0: forever."),
  );
  const files = c.files || {};
  const maxMegabytes = field(
    t("Largest file (MB)"),
    "input",
    { type: "number", min: "1", value: files.max_bytes ? String(files.max_bytes / MEGABYTE) : "" },
    t("Blank: the service's default."),
  );
  const perMessage = field(t("Files per message"), "input", {
    type: "number",
    min: "1",
    max: "10",
    value: files.max_per_message ?? "",
  });
  const types = field(
    t("Accepted file types"),
    "input",
    { value: (files.allowed_types || []).join(", ") },
    t("Comma separated, e.g. image/png, application/pdf; blank: the service's default."),
  );
  const words = field(
    t("Sensitive words"),
    "textarea",
    { rows: "3" },
    t("Messages with one of these words are refused; one a line."),
  );
  words.input.value = (c.sensitive_words || []).join("\n");

  const operators = checkboxes(
    t("Operators"),
    staff.map((user) => [user.uid, user.name + " (" + user.username + ")"]),
    t("No operator account yet: create one under Staff."),
    c.operator_ids || [],
  );

  const hours = c.business_hours;
  const alwaysOpenId = "admin-always-open";
  const alwaysOpen = el("input", { type: "checkbox", id: alwaysOpenId, checked: !hours });
  const timezone = field(
    t("Time zone"),
    "input",
    { value: (hours && hours.timezone) || "UTC" },
    t("An IANA name, e.g. Europe/Paris."),
  );
  const days = WEEKDAYS.map((day) => {
    const made = field(weekdayName(day), "input", {
      value: formatRanges(hours && hours.weekly[day]),
      placeholder: "09:00-17:00",
    });
    made.input.dataset.day = day;
    return made;
  });
  const hoursSet = el(
    "fieldset",
    {},
    [
      el("legend", { text: t("Business hours") }),
      el("div", { className: "check" }, [alwaysOpen, el("label", { for: alwaysOpenId, text: t("Always open") })]),
      timezone.row,
      el("p", { className: "hint", text: t("Per day, ranges like 09:00-12:00, 13:00-17:00; a blank day is closed.") }),
    ].concat(days.map((d) => d.row)),
  );

  function spec() {
    const fileTypes = types.input.value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const maxBytes = numberOrNull(maxMegabytes.input.value);
    const filePolicy = {
      max_bytes: maxBytes === null ? null : Math.round(maxBytes * MEGABYTE),
      max_per_message: numberOrNull(perMessage.input.value),
      allowed_types: fileTypes.length ? fileTypes : null,
    };
    const weekly = {};
    days.forEach((d) => {
      const ranges = parseRanges(d.input.value);
      if (ranges.length) weekly[d.input.dataset.day] = ranges;
    });
    return {
      name: name.input.value,
      welcome: welcome.input.value,
      offline_message: offline.input.value,
      offline_emails: lines(offlineEmails.input.value),
      allowed_origins: lines(origins.input.value),
      chatbot_script_id: script.input.value || null,
      operator_capacity: Number(capacity.input.value),
      routing: routing.input.value,
      response_target_seconds: Number(target.input.value),
      inactivity_timeout_minutes: Number(inactivity.input.value),
      retention_days: numberOrNull(retention.input.value),
      files: filePolicy.max_bytes || filePolicy.max_per_message || filePolicy.allowed_types ? filePolicy : null,
      sensitive_words: lines(words.input.value),
      business_hours: alwaysOpen.checked ? null : { timezone: timezone.input.value.trim(), weekly: weekly },
    };
  }

  /** Operators join and leave through their own endpoints: a join names them (notices and
   * /transfer show the name), a leave hands their open chats on. */
  function syncOperators(saved) {
    const had = new Set(editing ? c.operator_ids : []);
    const chosen = new Set(operators.chosen());
    const calls = staff.map((user) => {
      const where = path("/channels/", saved.id, "/operators/", user.uid);
      if (chosen.has(user.uid) && (!had.has(user.uid) || !editing))
        return callApi(client, where, { method: "PUT", body: { name: user.name } });
      if (!chosen.has(user.uid) && had.has(user.uid)) return callApi(client, where, { method: "DELETE" });
      return null;
    });
    return Promise.all(calls).then(() => saved);
  }

  function onSubmit(event) {
    event.preventDefault();
    result.clear();
    const body = spec();
    const saving = editing
      ? callApi(client, path("/channels/", c.id), { method: "PATCH", body: body })
      : callApi(client, "/channels", { method: "POST", body: body });
    saving.then(syncOperators).then((saved) => {
      result.done(t("Saved."));
      onSaved(saved);
    }, result.fail);
  }

  function onArchive() {
    if (!window.confirm(t("Archive this channel? Its widget stops; its transcripts stay."))) return;
    callApi(client, path("/channels/", c.id), { method: "DELETE" }).then(() => onSaved(null), result.fail);
  }

  const form = el(
    "form",
    {
      className: "admin-form",
      "aria-label": editing ? t("Edit {name}", { name: c.name }) : t("New channel"),
      onsubmit: onSubmit,
    },
    [
      el("h3", { text: editing ? c.name : t("New channel") }),
      editing
        ? el("p", { className: "hint", text: t("Channel id: {id} (the widget's data-channel)", { id: c.id }) })
        : null,
      name.row,
      welcome.row,
      offline.row,
      offlineEmails.row,
      origins.row,
      operators.node,
      script.row,
      capacity.row,
      routing.row,
      target.row,
      inactivity.row,
      retention.row,
      el("fieldset", {}, [el("legend", { text: t("Attachments") }), maxMegabytes.row, perMessage.row, types.row]),
      words.row,
      hoursSet,
      result.node,
      el("div", { className: "actions" }, [
        el("button", {
          type: "submit",
          id: "admin-save-channel",
          text: editing ? t("Save changes") : t("Create channel"),
        }),
        editing ? button(t("Archive channel"), onArchive, { className: "danger" }) : null,
      ]),
    ],
  );
  return el("div", {}, [form, editing ? cannedEditor(client, c) : null]);
}

/** The channel's canned responses: each with Delete, and a form to add or change one. */
function cannedEditor(client, channel) {
  const result = outcome();
  const listBox = el("div");
  // The API's shortcut pattern (chat_session canned.SHORTCUT_PATTERN), checked before sending.
  const shortcut = field(
    t("Shortcut"),
    "input",
    { required: true, maxlength: "32", pattern: "[a-z0-9_\\-]+" },
    t("Lower-case letters, digits, _ and -."),
  );
  const text = field(t("Text"), "textarea", { required: true, rows: "2", maxlength: "2000" });
  const where = (name) => path("/channels/", channel.id, "/canned-responses/", name);

  function load() {
    callApi(client, path("/channels/", channel.id, "/canned-responses")).then((answer) => {
      listBox.replaceChildren(
        table(
          t("Canned responses"),
          [t("Shortcut"), t("Text"), ""],
          answer.canned_responses.map((canned) => [
            ":" + canned.shortcut,
            canned.text,
            button(
              t("Delete"),
              () => callApi(client, where(canned.shortcut), { method: "DELETE" }).then(load, result.fail),
              {
                "aria-label": t("Delete :{shortcut}", { shortcut: canned.shortcut }),
              },
            ),
          ]),
        ),
      );
    }, result.fail);
  }

  function onSubmit(event) {
    event.preventDefault();
    callApi(client, where(shortcut.input.value.trim()), { method: "PUT", body: { text: text.input.value } }).then(
      () => {
        result.done(t("Saved."));
        shortcut.input.value = "";
        text.input.value = "";
        load();
      },
      result.fail,
    );
  }

  load();
  return el("section", { className: "admin-form", "aria-label": t("Canned responses") }, [
    el("h3", { text: t("Canned responses") }),
    listBox,
    el("form", { onsubmit: onSubmit }, [
      shortcut.row,
      text.row,
      result.node,
      el("button", { type: "submit", text: t("Save canned response") }),
    ]),
  ]);
}
