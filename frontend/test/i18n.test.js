// The widget's and the console's languages (one mechanism, src/i18n.js): the locale picked from the
// embed tag, the operator's choice or the browser, placeholders filled, and every text either
// passes to t() (and every static word of the console page) translated into Simplified Chinese.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

import { TRANSLATIONS, pickLocale, setLocale, t } from "../src/widget/i18n.js";
import { TRANSLATIONS as CONSOLE_TRANSLATIONS } from "../src/console/console-i18n.js";
import { translator } from "../src/i18n.js";

/** The texts a source passes to t("…") as a literal. */
function literals(/** @type {string} */ source) {
  return [...source.matchAll(/\bt\("((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
}

test("the embed tag's locale wins, then the browser's languages, then English", () => {
  assert.equal(pickLocale("zh-CN", ["en-US"]), "zh-CN");
  assert.equal(pickLocale("en", ["zh-CN"]), "en");
  assert.equal(pickLocale(null, ["fr-FR", "zh-Hans-CN", "en"]), "zh-CN");
  assert.equal(pickLocale(undefined, ["de-DE"]), "en");
  assert.equal(pickLocale("", []), "en");
});

test("texts are translated with their placeholders filled, and unknown ones stay English", () => {
  setLocale("zh-CN");
  assert.equal(t("Send"), "发送");
  assert.equal(t("You are number {position} in the queue.", { position: 2 }), "您在队列中排第 2 位。");
  assert.equal(t("Not in any table"), "Not in any table");
  setLocale("xx");
  assert.equal(t("{n} out of 5", { n: 4 }), "4 out of 5");
  setLocale("en");
});

test("every text the widget translates has its Chinese", () => {
  const sources = [
    "src/widget/widget.js",
    "src/widget/widget-render.js",
    "src/widget/robot-status.js",
    "src/widget/push-optin.js",
  ].map((path) => readFileSync(path, "utf8"));
  const used = new Set(sources.flatMap(literals));
  assert.ok(used.size > 40, `only ${used.size} texts found: is the pattern still right?`);
  const missing = [...used].filter((text) => !(text in TRANSLATIONS["zh-CN"]));
  assert.deepEqual(missing, []);
});

test("two translators keep their own locale and tables", () => {
  const first = translator({ "zh-CN": { Yes: "是" } });
  const second = translator({ "zh-CN": {} });
  first.setLocale("zh-CN");
  assert.equal(first.t("Yes"), "是");
  assert.equal(second.t("Yes"), "Yes");
  assert.equal(second.locale(), "en");
});

test("every text the console translates, and every word of its page, has its Chinese", () => {
  const folder = "src/console/";
  const scripts = readdirSync(folder).filter((name) => name.endsWith(".js"));
  const used = new Set(scripts.flatMap((name) => literals(readFileSync(folder + name, "utf8"))));
  const page = readFileSync(folder + "index.html", "utf8");
  for (const match of page.matchAll(/data-i18n(?:-\w+)?="([^"]*)"/g)) used.add(match[1]);
  assert.ok(used.size > 150, `only ${used.size} texts found: is the pattern still right?`);
  const missing = [...used].filter((text) => !(text in CONSOLE_TRANSLATIONS["zh-CN"]));
  assert.deepEqual(missing, []);
});
