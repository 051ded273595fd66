// The installable app: the service worker (web push, the offline page) is registered on every
// load, so a phone's home-screen WakeDock works offline-aware and can receive push.
export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // Not fatal: the app works without it (no push, no offline page).
    });
  });
}
