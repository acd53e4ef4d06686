/* What a web push shows: the notification for one decrypted push payload (the notification
 * service's PushNotice: conversation_id, seq, count, author_name, title, body, tag). Pure, so it is
 * unit-tested in node (test/push.test.js); the service worker (push-worker.js) shows it. */

/**
 * @param {any} notice the decrypted payload
 * @param {string} fallbackTitle a title when the notice has none
 * @returns {{title: string, options: NotificationOptions & {renotify: boolean}} | null} null: not a
 *   notice of ours (``renotify``: the service worker's showNotification takes it; the DOM type lacks it)
 */
export function notificationOf(notice, fallbackTitle) {
  if (!notice || notice.type !== "message" || typeof notice.conversation_id !== "string") return null;
  return {
    title: String(notice.title || notice.author_name || fallbackTitle),
    options: {
      body: String(notice.body || ""),
      // One notification per conversation: a newer push replaces it (and rings again).
      tag: String(notice.tag || "parley:" + notice.conversation_id),
      renotify: true,
      data: { conversation_id: notice.conversation_id, seq: notice.seq },
    },
  };
}

/** A VAPID public key (base64url, no padding) as PushManager.subscribe wants it. */
export function keyBytes(/** @type {string} */ base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
  const raw = atob(padded);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** The device id a widget registers its subscription under (the notification API's pattern). */
export function pushDeviceId(/** @type {string} */ deviceId) {
  return ("web-" + deviceId.replace(/[^A-Za-z0-9_.:-]/g, "")).slice(0, 64);
}
