/* The widget's web push opt-in: "Notify me of replies". Offered only when the embedding site
 * serves Parley's push worker (the embed tag's data-push-worker), the browser can push, the
 * visitor has not refused notifications, and the server has a VAPID key (GET
 * /push/vapid-public-key; 503 when web push is not configured). A click asks the browser's
 * permission, registers the worker, subscribes with the server's key and registers the
 * subscription (PUT /push/subscriptions): the notification service then pushes the operator's
 * replies while the visitor has no chat page open. docs/client.md, "Web push". */
import { keyBytes, pushDeviceId } from "../push/push-notice.js";

/**
 * @param {any} client the widget's Parley client (authedFetch, deviceId)
 * @param {string | null} workerPath the site's path of the push worker, or null
 * @returns {Promise<boolean>} whether to offer it
 */
export function pushOffered(client, workerPath) {
  const browser = /** @type {any} */ (window);
  if (!workerPath || !("serviceWorker" in navigator) || !browser.PushManager || !browser.Notification)
    return Promise.resolve(false);
  if (browser.Notification.permission === "denied") return Promise.resolve(false);
  return serverKey(client).then(
    (key) => Boolean(key),
    () => false,
  );
}

/** The server's VAPID public key (null when web push is not configured there). */
function serverKey(/** @type {any} */ client) {
  return fetch(client.baseUrl + "/push/vapid-public-key").then((response) =>
    response.ok ? response.json().then((/** @type {any} */ body) => body.public_key) : null,
  );
}

/**
 * Ask, register, subscribe, tell the server. Rejects with an Error whose message says why.
 * @param {any} client
 * @param {string} workerPath
 */
export function subscribeToReplies(client, workerPath) {
  const browser = /** @type {any} */ (window);
  return Promise.resolve(browser.Notification.requestPermission())
    .then((permission) => {
      if (permission !== "granted") throw new Error("notifications-refused");
      return Promise.all([navigator.serviceWorker.register(workerPath), serverKey(client)]);
    })
    .then(([registration, key]) => {
      if (!key) throw new Error("push-unavailable");
      return registration.pushManager
        .getSubscription()
        .then(
          (/** @type {any} */ existing) =>
            existing ||
            registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }),
        );
    })
    .then((/** @type {any} */ subscription) =>
      client.authedFetch("/push/subscriptions", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ device_id: pushDeviceId(client.deviceId()), subscription: subscription.toJSON() }),
      }),
    )
    .then((/** @type {Response} */ response) => {
      if (!response.ok) throw new Error("push-refused");
    });
}
