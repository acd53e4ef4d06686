/* Parley's web push service worker: shows a notification when a push arrives for a visitor
 * whose chat page is closed, and brings the site back when it is clicked.
 *
 * A service worker must come from the page's own origin, so the embedding site serves this file
 * itself (a copy of, or a proxy to, <Parley>/widget/push-worker.js) and names its path in the
 * embed tag: <script src=".../widget.js" data-channel="..." data-push-worker="/parley-push-worker.js">.
 * docs/client.md, "Web push". */
import { notificationOf } from "./push-notice.js";

/** @type {any} */
const worker = self;

worker.addEventListener("push", (/** @type {any} */ event) => {
  let notice;
  try {
    notice = event.data ? event.data.json() : null;
  } catch {
    return; // not JSON: not one of ours
  }
  const shown = notificationOf(notice, "New message");
  if (shown) event.waitUntil(worker.registration.showNotification(shown.title, shown.options));
});

worker.addEventListener("notificationclick", (/** @type {any} */ event) => {
  event.notification.close();
  const home = worker.registration.scope;
  event.waitUntil(
    worker.clients.matchAll({ type: "window", includeUncontrolled: true }).then((/** @type {any[]} */ windows) => {
      const open = windows.find((client) => client.url.startsWith(home));
      return open ? open.focus() : worker.clients.openWindow(home);
    }),
  );
});
