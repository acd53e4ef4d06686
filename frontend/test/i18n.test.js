// The widget's languages: the locale picked from the embed tag or the browser, placeholders filled,
// and every text the widget passes to t() translated into Simplified Chinese.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { TRANSLATIONS, pickLocale, setLocale, t } from "../src/widget/i18n.js";

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
  const sources = ["src/widget/widget.js", "src/widget/widget-render.js", "src/widget/robot-status.js"].map((path) =>
    readFileSync(path, "utf8"),
  );
  const used = new Set(sources.flatMap((source) => [...source.matchAll(/\bt\("((?:[^"\\]|\\.)*)"/g)].map((m) => m[1])));
  assert.ok(used.size > 40, `only ${used.size} texts found: is the pattern still right?`);
  const missing = [...used].filter((text) => !(text in TRANSLATIONS["zh-CN"]));
  assert.deepEqual(missing, []);
});
