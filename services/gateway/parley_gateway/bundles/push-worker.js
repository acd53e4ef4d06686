/* Built by frontend/build.mjs from frontend/src: edit those, then run `make frontend`. */
(() => {
  // src/push/push-notice.js
  function notificationOf(notice, fallbackTitle) {
    if (!notice || notice.type !== "message" || typeof notice.conversation_id !== "string") return null;
    return {
      title: String(notice.title || notice.author_name || fallbackTitle),
      options: {
        body: String(notice.body || ""),
        // One notification per conversation: a newer push replaces it (and rings again).
        tag: String(notice.tag || "parley:" + notice.conversation_id),
        renotify: true,
        data: { conversation_id: notice.conversation_id, seq: notice.seq }
      }
    };
  }

  // src/push/push-worker.js
  var worker = self;
  worker.addEventListener("push", (event) => {
    let notice;
    try {
      notice = event.data ? event.data.json() : null;
    } catch (e) {
      return;
    }
    const shown = notificationOf(notice, "New message");
    if (shown) event.waitUntil(worker.registration.showNotification(shown.title, shown.options));
  });
  worker.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const home = worker.registration.scope;
    event.waitUntil(
      worker.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
        const open = windows.find((client) => client.url.startsWith(home));
        return open ? open.focus() : worker.clients.openWindow(home);
      })
    );
  });
})();
