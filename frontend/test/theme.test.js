// The channel's theme in the widget: which words the launcher shows.
import { test } from "node:test";
import assert from "node:assert/strict";

import { launcherText } from "../src/widget/theme.js";

test("the channel's launcher words while someone answers; the widget's own when offline or unset", () => {
  const theme = { accent: "#6a1b9a", launcher_text: "Ask Flora", position: "left", avatar_url: null };
  assert.equal(launcherText(theme, "Chat with us", false), "Ask Flora");
  assert.equal(launcherText(theme, "Leave a message", true), "Leave a message");
  assert.equal(launcherText({ ...theme, launcher_text: "" }, "在线咨询", false), "在线咨询");
  assert.equal(launcherText(null, "Chat with us", false), "Chat with us");
});
