// The login session kept in localStorage so every tab shares it. The refresh token rotates on
// use and a reused one revokes the whole family, so refreshes are serialised across tabs with the
// Web Locks API and a tab that waited re-reads the store before spending the token again.

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

const KEY = "wakedock.session";
type Listener = (session: StoredSession | null) => void;
const listeners = new Set<Listener>();

export function readSession(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

export function writeSession(session: StoredSession | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(session));
}

/** Called when this tab or another one logs in, refreshes or logs out. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === KEY) listener(readSession());
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

export function sessionFromTokens(tokens: {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}): StoredSession {
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
}

async function withRefreshLock<T>(run: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("wakedock.refresh", run);
  }
  return run();
}

let inFlight: Promise<StoredSession | null> | null = null;

/**
 * A fresh access token: refreshes when `stale` (the token the caller saw rejected) is still the
 * stored one, or when the stored token expires within 30 s. Returns null when logged out.
 */
export function refreshSession(stale?: string): Promise<StoredSession | null> {
  inFlight ??= withRefreshLock(async () => {
    const current = readSession();
    if (!current) return null;
    const rejected = stale !== undefined && current.accessToken === stale;
    if (!rejected && current.expiresAt - Date.now() > 30_000) return current;
    const response = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refreshToken }),
    });
    if (response.status === 401 || response.status === 403) {
      writeSession(null);
      return null;
    }
    if (!response.ok) throw new Error(`refresh failed: HTTP ${response.status}`);
    const next = sessionFromTokens(await response.json());
    writeSession(next);
    return next;
  }).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** The access token to use now (refreshed first when it is about to expire). */
export async function currentAccessToken(): Promise<string | null> {
  const session = readSession();
  if (!session) return null;
  if (session.expiresAt - Date.now() > 30_000) return session.accessToken;
  return (await refreshSession())?.accessToken ?? null;
}
