// Web push in the browser: what a push shows, the VAPID key's bytes, the device id registered.
import { test } from "node:test";
import assert from "node:assert/strict";

import { keyBytes, notificationOf, pushDeviceId } from "../src/push/push-notice.js";

test("a push notice becomes one notification per conversation, replaced by the next", () => {
  const notice = {
    type: "message",
    conversation_id: "c_1",
    seq: 7,
    count: 2,
    author_name: "Olivia",
    title: "2 new messages",
    body: "Olivia: Your parcel left today.",
    tag: "parley:c_1",
  };
  const shown = notificationOf(notice, "New message");
  assert.equal(shown.title, "2 new messages");
  assert.equal(shown.options.body, "Olivia: Your parcel left today.");
  assert.equal(shown.options.tag, "parley:c_1");
  assert.equal(shown.options.renotify, true);
  assert.deepEqual(shown.options.data, { conversation_id: "c_1", seq: 7 });
  assert.equal(notificationOf({ ...notice, title: "", author_name: "" }, "New message").title, "New message");
  assert.equal(notificationOf({ type: "other" }, "x"), null);
  assert.equal(notificationOf(null, "x"), null);
});

test("the VAPID key's base64url is decoded to its 65 bytes", () => {
  const key = "BKk0lhwvOD1RaZxtxFiFZTSVMA-IQ6koNCm9BCEw_IOA7lsITTvQG-FLpT4u1-fk4gfbLN9w0dMZuCUAehLpt94";
  const bytes = keyBytes(key);
  assert.equal(bytes.length, 65);
  assert.equal(bytes[0], 4); // an uncompressed P-256 point
  assert.equal(Buffer.from(bytes).toString("base64url"), key);
});

test("the device id fits the notification API's pattern", () => {
  assert.equal(pushDeviceId("0f3a-9c"), "web-0f3a-9c");
  assert.equal(pushDeviceId("a b/c"), "web-abc");
  assert.equal(pushDeviceId("x".repeat(100)).length, 64);
});
