/* Parley console, admin screens: chatbot scripts (chatbot_engine's /chatbot/scripts: list, check,
 * store from a pasted or uploaded YAML or JSON file; a channel picks its script in its editor).
 * External bots and webhooks have their own screen (admin-integrations.js). */
import { callApi, path } from "./console-http.js";
import { button, el, field, outcome, table } from "./admin-forms.js";
import { t } from "./console-i18n.js";

/** The content type of a script's text: JSON when it is an object, else YAML. */
export function scriptType(/** @type {string} */ text) {
  return text.trim().charAt(0) === "{" ? "application/json" : "application/yaml";
}

/** What a 422 of the script API lists, one problem a line. */
function problems(error) {
  const listed = error && error.problems;
  return Array.isArray(listed) ? listed.map((problem) => problem.path + ": " + problem.message).join("\n") : "";
}

export function scriptsScreen(/** @type {HTMLElement} */ root, /** @type {any} */ client) {
  const result = outcome();
  const listBox = el("div");
  const upload = field(t("Script file (YAML or JSON)"), "input", {
    type: "file",
    accept: ".yaml,.yml,.json,application/json,application/yaml",
  });
  const source = field(
    t("Script"),
    "textarea",
    { rows: "12", spellcheck: "false", className: "code" },
    t("Paste a script, or choose a file above (YAML or JSON, like services/chatbot_engine/scripts/)."),
  );
  const details = el("pre", { className: "problems", hidden: true });

  upload.input.addEventListener("change", () => {
    const file = upload.input.files && upload.input.files[0];
    if (file) file.text().then((text) => (source.input.value = text));
  });

  function send(where, successWords) {
    details.hidden = true;
    const text = source.input.value;
    return callApi(client, where, { method: "POST", body: text, contentType: scriptType(text) }).then(
      (answer) => {
        result.done(successWords(answer));
        return answer;
      },
      (error) => {
        result.fail(error);
        details.textContent = problems(error);
        details.hidden = !details.textContent;
        throw error;
      },
    );
  }

  function load() {
    callApi(client, "/chatbot/scripts").then((answer) => {
      listBox.replaceChildren(
        table(
          t("Chatbot scripts"),
          [t("Id"), t("Name"), t("Steps"), ""],
          answer.scripts.map((script) => [
            script.id,
            script.name,
            String(script.steps),
            button(t("Open"), () => openScript(script.id), { "aria-label": t("Open {name}", { name: script.name }) }),
          ]),
        ),
      );
    }, result.fail);
  }

  function openScript(id) {
    callApi(client, path("/chatbot/scripts/", id)).then((script) => {
      source.input.value = JSON.stringify(script, null, 2);
      source.input.focus();
    }, result.fail);
  }

  function onSubmit(event) {
    event.preventDefault();
    send("/chatbot/scripts", (script) =>
      t("Script {id} saved. Choose it for a channel under Channels.", { id: script.id }),
    ).then(load, () => {});
  }

  root.replaceChildren(
    el("h2", { text: t("Chatbot scripts") }),
    listBox,
    el("form", { className: "admin-form", "aria-label": t("Upload a chatbot script"), onsubmit: onSubmit }, [
      el("h3", { text: t("Upload a chatbot script") }),
      upload.row,
      source.row,
      result.node,
      details,
      el("div", { className: "actions" }, [
        button(t("Check"), () => send("/chatbot/scripts/validate", () => t("The script is valid.")).catch(() => {}), {
          id: "admin-check-script",
        }),
        el("button", { type: "submit", id: "admin-save-script", text: t("Save script") }),
      ]),
    ]),
  );
  load();
}
