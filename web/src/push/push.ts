// Web push in this browser: support checks, the service worker, subscribe/unsubscribe.
import { api, ApiError, unwrap } from "../api/client";

/** A VAPID key in URL-safe base64 (no padding) → the bytes PushManager.subscribe wants. */
export function urlBase64ToUint8Array(base64: string): Uint8Array<ArrayBuffer> {
  const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4))
    .replace(/-/g, "+")
    .replace(/_/g, "/");
  const raw = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export type PushSupport = "ok" | "unsupported" | "insecure" | "denied";

/** Why this browser cannot do web push, or "ok". */
export function pushSupport(): PushSupport {
  if (typeof window === "undefined") return "unsupported";
  if (!window.isSecureContext) return "insecure";
  if (
    !("serviceWorker" in navigator) ||
    !("PushManager" in window) ||
    !("Notification" in window)
  ) {
    return "unsupported";
  }
  if (Notification.permission === "denied") return "denied";
  return "ok";
}

export async function registration(): Promise<ServiceWorkerRegistration> {
  const existing = await navigator.serviceWorker.getRegistration("/");
  return existing ?? navigator.serviceWorker.register("/sw.js", { scope: "/" });
}

/** This browser's current push subscription, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  const existing = await navigator.serviceWorker.getRegistration("/");
  return existing ? existing.pushManager.getSubscription() : null;
}

export class PushSetupError extends Error {
  constructor(
    readonly reason: "denied" | "no-key" | "failed",
    message: string,
  ) {
    super(message);
  }
}

/** Ask permission, subscribe with the server's VAPID key and register the subscription. */
export async function subscribe(): Promise<PushSubscription> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    throw new PushSetupError(
      "denied",
      permission === "denied"
        ? "Notifications are blocked for this site: allow them in the browser's site settings."
        : "Permission was not given.",
    );
  }
  let key: string;
  try {
    key = (await unwrap(api.GET("/api/notifications/push/vapid-public-key"))).public_key;
  } catch (error) {
    throw new PushSetupError(
      "no-key",
      `The server has no web push key: ${error instanceof ApiError ? error.message : String(error)}`,
    );
  }
  if (!key) throw new PushSetupError("no-key", "The server has no web push key configured.");
  const reg = await registration();
  await navigator.serviceWorker.ready;
  const applicationServerKey = urlBase64ToUint8Array(key);
  let sub = await browserSubscribe(reg, applicationServerKey);
  try {
    await register(sub);
  } catch (error) {
    // This browser's endpoint belongs to another account (someone else used push on this
    // browser profile): the server never moves it. A fresh subscription has a new endpoint.
    if (!(
      error instanceof ApiError &&
      error.status === 409 &&
      error.code === "push_endpoint_taken"
    ))
      throw error;
    await sub.unsubscribe();
    sub = await browserSubscribe(reg, applicationServerKey);
    await register(sub);
  }
  return sub;
}

async function browserSubscribe(
  reg: ServiceWorkerRegistration,
  applicationServerKey: Uint8Array<ArrayBuffer>,
): Promise<PushSubscription> {
  try {
    return await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  } catch (error) {
    throw new PushSetupError(
      "failed",
      `This browser could not subscribe to its push service: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function register(sub: PushSubscription): Promise<void> {
  const json = sub.toJSON();
  await unwrap(
    api.POST("/api/notifications/push-subscriptions", {
      body: {
        endpoint: json.endpoint ?? sub.endpoint,
        keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
        expirationTime: json.expirationTime ?? null,
      },
    }),
  );
}

/** Remove the subscription from the server and from the browser. */
export async function unsubscribe(sub: PushSubscription): Promise<void> {
  try {
    await unwrap(
      api.DELETE("/api/notifications/push-subscriptions", { body: { endpoint: sub.endpoint } }),
    );
  } catch (error) {
    // Already gone on the server (404): still unsubscribe the browser.
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  await sub.unsubscribe();
}
