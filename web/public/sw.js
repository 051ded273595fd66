/* WakeDock's service worker: shows a web push as a system notification, and focuses (or opens)
   the notification's action URL when it is clicked. */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let payload;
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { title: "WakeDock", message: event.data ? event.data.text() : "" };
  }
  // The server sends {title, body, url, type, priority, notification}.
  const id = (payload.notification && payload.notification.id) || null;
  const title = payload.title || "WakeDock";
  const url = payload.url || "/notifications";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: payload.body || "",
      tag: id ? `wakedock-${id}` : undefined,
      icon: "/favicon.svg",
      requireInteraction: payload.priority === "urgent",
      data: { url, id },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(
    (event.notification.data && event.notification.data.url) || "/",
    self.location.origin,
  );
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (client.url === target.href && "focus" in client) return client.focus();
      }
      for (const client of windows) {
        if (new URL(client.url).origin === target.origin && "navigate" in client) {
          await client.focus();
          return client.navigate(target.href);
        }
      }
      return self.clients.openWindow(target.href);
    })(),
  );
});
