/* Parley console, admin screens: the staff lifecycle (auth's /auth/users: create, disable,
 * enable, delete) and the audit log (GET /auth/audit: who did what to whom, newest first). */
import { callApi, path } from "./console-http.js";
import { button, choice, el, field, outcome, table } from "./admin-forms.js";
import { t } from "./console-i18n.js";

// The audit page shows this many entries (the API allows 500; a screenful or two is what is read).
const AUDIT_PAGE = 100;

export function staffScreen(/** @type {HTMLElement} */ root, /** @type {any} */ client, /** @type {any} */ me) {
  const result = outcome();
  const listBox = el("div");
  const username = field(t("Username"), "input", { required: true, autocomplete: "off", maxlength: "64" });
  const name = field(t("Display name"), "input", { required: true, maxlength: "100" });
  const password = field(
    t("Password"),
    "input",
    { type: "password", required: true, minlength: "10", autocomplete: "new-password" },
    t("At least 10 characters."),
  );
  const role = choice(
    t("Role"),
    [
      ["operator", t("Operator")],
      ["admin", t("Admin")],
    ],
    "operator",
  );

  // What a row's button did, or why it was refused: under the table, beside the rows.
  const rowResult = outcome();

  function act(user, suffix, method) {
    rowResult.clear();
    return callApi(client, path("/auth/users/", user.uid) + suffix, { method: method });
  }

  /** A one-time code for the owner to set a new password (their sessions end): shown here to
   * be handed over in person, never sent through the chat. */
  function resetPassword(user, label) {
    act(user, "/password-reset", "POST").then((issued) => {
      const until = new Date(issued.expires_at).toLocaleTimeString();
      rowResult.done(
        t("One-time code for {name}: {code} (until {until}). Give it to them in person.", {
          ...label,
          code: issued.code,
          until: until,
        }),
      );
    }, rowResult.fail);
  }

  function endSessions(user, label) {
    act(user, "/sessions/end", "POST").then(
      (ended) => rowResult.done(t("{name}: {n} sessions ended.", { ...label, n: ended.ended })),
      rowResult.fail,
    );
  }

  function rowOf(user) {
    const self = me && user.uid === me.uid;
    const label = { name: user.name || user.username };
    const toggle = user.disabled
      ? button(t("Enable"), () => act(user, "/enable", "POST").then(load, rowResult.fail), {
          "aria-label": t("Enable {name}", label),
        })
      : button(t("Disable"), () => act(user, "/disable", "POST").then(load, rowResult.fail), {
          "aria-label": t("Disable {name}", label),
          disabled: self,
        });
    const remove = button(
      t("Delete"),
      () => {
        if (window.confirm(t("Delete {name}? They leave every channel; their name stays in transcripts.", label)))
          act(user, "", "DELETE").then(load, rowResult.fail);
      },
      { className: "danger", "aria-label": t("Delete {name}", label), disabled: self },
    );
    return [
      user.name,
      user.username,
      user.role === "admin" ? t("Admin") : t("Operator"),
      user.disabled ? t("Disabled") : t("Active"),
      el("span", { className: "actions" }, [
        toggle,
        button(t("Reset password"), () => resetPassword(user, label), {
          "aria-label": t("Reset password of {name}", label),
        }),
        button(t("End sessions"), () => endSessions(user, label), {
          "aria-label": t("End sessions of {name}", label),
          disabled: self,
        }),
        remove,
      ]),
    ];
  }

  function load() {
    return callApi(client, "/auth/users?limit=200").then((answer) => {
      listBox.replaceChildren(
        table(t("Staff"), [t("Name"), t("Username"), t("Role"), t("State"), ""], answer.users.map(rowOf)),
      );
    }, result.fail);
  }

  function onSubmit(event) {
    event.preventDefault();
    const body = {
      username: username.input.value.trim(),
      name: name.input.value.trim(),
      password: password.input.value,
      role: role.input.value,
    };
    callApi(client, "/auth/users", { method: "POST", body: body }).then(() => {
      result.done(t("{name} can sign in now. Add them to a channel under Channels.", { name: body.name }));
      username.input.value = name.input.value = password.input.value = "";
      load();
    }, result.fail);
  }

  root.replaceChildren(
    el("h2", { text: t("Staff") }),
    listBox,
    rowResult.node,
    el("form", { className: "admin-form", "aria-label": t("New staff account"), onsubmit: onSubmit }, [
      el("h3", { text: t("New staff account") }),
      username.row,
      name.row,
      password.row,
      role.row,
      result.node,
      el("button", { type: "submit", id: "admin-create-user", text: t("Create account") }),
    ]),
  );
  load();
}

export function auditScreen(/** @type {HTMLElement} */ root, /** @type {any} */ client) {
  const result = outcome();
  const listBox = el("div");
  const target = field(t("Target (an id)"), "input", { maxlength: "200" });
  const action = field(t("Action (e.g. user.create)"), "input", { maxlength: "64" });

  function load(event) {
    if (event) event.preventDefault();
    const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
    if (target.input.value.trim()) query.set("target", target.input.value.trim());
    if (action.input.value.trim()) query.set("action", action.input.value.trim());
    // Staff ids shown as their names (an id that is no staff account, a visitor's, stays an id).
    Promise.all([callApi(client, "/auth/audit?" + query), callApi(client, "/auth/users?limit=200")]).then(
      ([answer, staff]) => {
        const names = new Map(staff.users.map((user) => [user.uid, user.name || user.username]));
        const who = (id) => names.get(id) || id;
        result.clear();
        listBox.replaceChildren(
          answer.entries.length
            ? table(
                t("Audit log, newest first"),
                [t("When"), t("Who"), t("Did"), t("To"), t("Details")],
                answer.entries.map((entry) => [
                  new Date(entry.at).toLocaleString(),
                  who(entry.actor),
                  entry.action,
                  who(entry.target),
                  JSON.stringify(entry.details),
                ]),
              )
            : el("p", { className: "empty", text: t("Nothing recorded.") }),
        );
      },
      result.fail,
    );
  }

  root.replaceChildren(
    el("h2", { text: t("Audit log") }),
    el("form", { className: "admin-form inline", "aria-label": t("Filter the audit log"), onsubmit: load }, [
      target.row,
      action.row,
      el("button", { type: "submit", text: t("Filter") }),
    ]),
    result.node,
    listBox,
  );
  load(null);
}
