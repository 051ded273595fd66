/* WakeDock's service worker: shows a web push as a system notification, focuses (or opens) the
   notification's action URL when it is clicked, and shows the offline page when a navigation
   cannot reach the server (the installed app's "no network" screen). Nothing else is cached:
   the app always loads fresh from the server. */
const OFFLINE_CACHE = "wakedock-offline-v1";
const OFFLINE_PAGE = "/offline.html";
const OFFLINE_ASSETS = [OFFLINE_PAGE, "/offline.css", "/favicon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(OFFLINE_CACHE)
      .then((cache) => cache.addAll(OFFLINE_ASSETS))
      .then(() => self.skipWaiting()),
  );
});
self.addEventListener("activate", (event) =>
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("wakedock-") && key !== OFFLINE_CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  ),
);

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(OFFLINE_PAGE)) || Response.error()),
    );
  } else if (url.origin === self.location.origin && OFFLINE_ASSETS.includes(url.pathname)) {
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(request)) || Response.error()),
    );
  }
});

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
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
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
