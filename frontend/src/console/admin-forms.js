/* Parley console, admin screens: the pieces every screen is built of (labelled fields, buttons,
 * tables, refusals shown in plain words). Every text from the network goes in as textContent. */
import { render } from "./console-render.js";
import { t } from "./console-i18n.js";

const el = render.el;
let fieldCount = 0;
let boxCount = 0;

/**
 * A labelled input, select or textarea: {row, input}.
 * @param {string} label
 * @param {string} tag
 * @param {any} [attributes]
 * @param {string} [hint] a line under it, read out with it
 * @returns {{row: HTMLElement, input: any}}
 */
export function field(label, tag, attributes, hint) {
  const id = "admin-field-" + ++fieldCount;
  const input = el(tag, Object.assign({ id: id }, attributes || {}));
  const hintNode = hint ? el("small", { id: id + "-hint", className: "hint", text: hint }) : null;
  if (hintNode) input.setAttribute("aria-describedby", hintNode.id);
  return {
    row: el("div", { className: "field" }, [el("label", { for: id, text: label }), input, hintNode]),
    input: input,
  };
}

/** A <select> field of [value, label] pairs. */
export function choice(/** @type {string} */ label, /** @type {string[][]} */ options, /** @type {string} */ value) {
  const made = field(label, "select");
  options.forEach(([optionValue, optionLabel]) =>
    made.input.appendChild(el("option", { value: optionValue, text: optionLabel })),
  );
  made.input.value = value;
  return made;
}

/**
 * A fieldset of checkboxes: {node, chosen()}; ``options`` are [value, label] pairs, those in
 * ``checked`` ticked; ``empty`` is said when there is no option.
 * @param {string} legend
 * @param {string[][]} options
 * @param {string} empty
 * @param {string[]} [checked]
 */
export function checkboxes(legend, options, empty, checked) {
  const ticked = new Set(checked || []);
  const boxes = options.map(([value, label]) => {
    const id = "admin-check-" + ++boxCount;
    const box = el("input", { type: "checkbox", id: id, value: value, checked: ticked.has(value) });
    return { box: box, row: el("div", { className: "check" }, [box, el("label", { for: id, text: label })]) };
  });
  const rows = boxes.length ? boxes.map((b) => b.row) : [el("p", { className: "empty", text: empty })];
  return {
    node: el("fieldset", {}, [el("legend", { text: legend })].concat(rows)),
    chosen: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value),
  };
}

/**
 * @param {string} text
 * @param {() => void} onclick
 * @param {any} [attributes]
 */
export function button(text, onclick, attributes) {
  return el("button", Object.assign({ type: "button", text: text, onclick: onclick }, attributes || {}));
}

/** A table with a caption: rows are lists of cells (text or a node). */
export function table(/** @type {string} */ caption, /** @type {string[]} */ headings, /** @type {any[][]} */ rows) {
  return el("table", { className: "admin-table" }, [
    el("caption", { text: caption }),
    el("thead", {}, [
      el(
        "tr",
        {},
        headings.map((heading) => el("th", { scope: "col", text: heading })),
      ),
    ]),
    el(
      "tbody",
      {},
      rows.map((cells) =>
        el(
          "tr",
          {},
          cells.map((cell) =>
            el("td", {}, [typeof cell === "object" && cell ? cell : document.createTextNode(String(cell ?? ""))]),
          ),
        ),
      ),
    ),
  ]);
}

/** A refusal of the API in words an admin can act on: what it means, then the server's detail. */
export function refusal(error) {
  if (!error) return t("Something went wrong.");
  if (error instanceof TypeError) return t("Parley cannot be reached. Check your connection and try again.");
  const code = error.code;
  if (error.status === 401) return t("Your session has ended. Sign in again.");
  if (error.status === 403) return t("Only an admin may do this.");
  if (error.status === 404) return t("Not found: it may have been deleted meanwhile.");
  if (error.status === 413) return t("That is too large.");
  const detail = error.message ? " " + error.message : "";
  return t("Refused ({code}):", { code: code }) + detail;
}

/** The line under a form where its refusal (role=alert) or its success (polite status) shows. */
export function outcome() {
  const node = el("p", { className: "outcome", role: "status", "aria-live": "polite" });
  return {
    node: node,
    fail(error) {
      node.className = "outcome error";
      node.setAttribute("role", "alert");
      node.textContent = refusal(error);
    },
    done(/** @type {string} */ text) {
      node.className = "outcome ok";
      node.setAttribute("role", "status");
      node.textContent = text;
    },
    clear() {
      node.textContent = "";
    },
  };
}

/** Lines of a textarea, trimmed, blank ones dropped. */
export function lines(/** @type {string} */ text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** A number field's value, or null when left blank. */
export function numberOrNull(/** @type {string} */ text) {
  return text.trim() === "" ? null : Number(text);
}

export { el };
