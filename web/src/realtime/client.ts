// The one client of WakeDock's real-time protocol (docs/websocket.md): connects to
// /ws/notifications/{user_id}, authenticates with the current access token on every (re)connect,
// resumes gap-free from the highest notification id seen, keeps the socket alive with pings and
// reconnects with capped, fully jittered exponential backoff. Everything environmental (the
// WebSocket constructor, timers, randomness, the clock, online/visibility signals) is injectable
// so the state machine runs under unit tests without a browser.

import type { Schemas } from "../api/client";

/** A notification in its REST shape, as the socket sends it too. */
export type LiveNotification = Schemas["NotificationOut"];

/** The server's first message on every connection (`realtime.protocol.Hello` on the server). */
export type Hello = Schemas["Hello"];

/** What the client tells the app. */
export type ClientEvent =
  | { type: "status"; status: ConnectionStatus; retryInMs?: number }
  /** `resumed`: connected with `since`, so anything missed is being replayed; otherwise the app
   *  should reload over REST (a first connection, or one with nothing seen to resume from). */
  | { type: "hello"; hello: Hello; resumed: boolean }
  /** `replay`: part of the catch-up after a resume (created before this connection opened). */
  | { type: "notification"; notification: LiveNotification; replay: boolean }
  | { type: "updated"; notification: LiveNotification }
  | { type: "deleted"; id: number }
  | { type: "read"; ids: number[]; unreadCount: number }
  | { type: "unread"; ids: number[]; unreadCount: number }
  /** `since` is beyond retention: reload over REST, then call `advance(newest id)`. */
  | { type: "reset" }
  | { type: "error"; code: string; message: string }
  | { type: "stopped"; reason: StopReason };

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "offline" | "stopped";
export type StopReason = "closed" | "logged_out" | "forbidden" | "unauthorized";

/** The subset of the browser WebSocket the client uses. */
export interface SocketLike {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = new (url: string) => SocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClientOptions {
  userId: number;
  /** The access token to connect with (null: logged out). Called on every (re)connect. */
  getToken(): Promise<string | null>;
  /** A fresh token after `stale` was rejected (null: logged out). */
  refreshToken(stale: string): Promise<string | null>;
  onEvent(event: ClientEvent): void;
  /** ws(s)://host of the server; default: this page's origin. */
  baseUrl?: string;
  /** Resume from this id on the first connection (default: live only). */
  since?: number | null;
  WebSocket?: SocketFactory;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  /** Calls `wake` when the network comes back or the page becomes visible; returns unsubscribe. */
  wakeSignals?: (wake: () => void) => () => void;
  /** Reports whether the browser thinks it is online (default: navigator.onLine). */
  isOnline?: () => boolean;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A connection open this long after its hello counts as healthy (resets the backoff). */
  healthyAfterMs?: number;
  /** How long to wait for a pong (any message) after a ping before declaring the socket dead. */
  pongTimeoutMs?: number;
}

const OPEN = 1;
const MAX_REMEMBERED_IDS = 2000;

/** Full jitter: a uniform delay in [0, min(cap, base × 2^attempt)). */
export function backoffDelay(
  attempt: number,
  random: () => number,
  baseMs = 500,
  capMs = 30_000,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export function socketUrl(
  base: string,
  userId: number,
  token: string,
  since: number | null,
): string {
  const query = new URLSearchParams({ token });
  if (since !== null) query.set("since", String(since));
  return `${base}/ws/notifications/${userId}?${query.toString()}`;
}

function defaultBaseUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}`;
}

function defaultWakeSignals(wake: () => void): () => void {
  const onVisible = () => {
    if (document.visibilityState === "visible") wake();
  };
  window.addEventListener("online", wake);
  document.addEventListener("visibilitychange", onVisible);
  return () => {
    window.removeEventListener("online", wake);
    document.removeEventListener("visibilitychange", onVisible);
  };
}

export class NotificationClient {
  private readonly opts: Required<
    Omit<ClientOptions, "since" | "baseUrl" | "WebSocket" | "wakeSignals" | "isOnline">
  > &
    Pick<ClientOptions, "baseUrl" | "WebSocket" | "wakeSignals" | "isOnline">;
  private socket: SocketLike | null = null;
  private token: string | null = null;
  private attempt = 0;
  private stopped = false;
  private started = false;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private heartbeatMs = 25_000;
  private helloAt: number | null = null;
  private helloServerTime: number | null = null;
  private resumedFrom: number | null = null;
  /** Consecutive 4401s without a hello in between (refresh once, then give up). */
  private authFailures = 0;
  private unsubscribeWake: (() => void) | null = null;
  private generation = 0;
  private seen = new Set<number>();
  private _lastId: number | null;
  private _status: ConnectionStatus = "connecting";

  constructor(options: ClientOptions) {
    this.opts = {
      timers: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as number),
      },
      random: Math.random,
      now: Date.now,
      backoffBaseMs: 500,
      backoffCapMs: 30_000,
      healthyAfterMs: 5_000,
      pongTimeoutMs: 10_000,
      ...options,
    };
    this._lastId = options.since ?? null;
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  /** The highest notification id seen: the `since` of the next connection. */
  get lastId(): number | null {
    return this._lastId;
  }

  get isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN && this.helloAt !== null;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const subscribe =
      this.opts.wakeSignals ?? (typeof window !== "undefined" ? defaultWakeSignals : null);
    this.unsubscribeWake = subscribe ? subscribe(() => this.wake()) : null;
    void this.connect();
  }

  /** Stop for good (unmount, logout): no reconnect after this. */
  close(): void {
    this.stop("closed");
  }

  /** Move the resume point forward (e.g. to the newest id after a REST reload). */
  advance(id: number): void {
    if (this._lastId === null || id > this._lastId) this._lastId = id;
  }

  /** Sends when the socket is open; false means "use REST instead". */
  markRead(ids: number[]): boolean {
    return ids.length > 0 && this.send({ type: "mark_read", ids });
  }

  markAllRead(): boolean {
    return this.send({ type: "mark_all_read" });
  }

  /** Reconnect now when waiting to retry; check liveness when open. */
  wake(): void {
    if (this.stopped) return;
    if (this.reconnectTimer !== null) {
      this.clear("reconnectTimer");
      void this.connect();
    } else if (this.isOpen) {
      this.ping();
    }
  }

  private send(message: object): boolean {
    if (!this.isOpen || !this.socket) return false;
    try {
      this.socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  private setStatus(status: ConnectionStatus, retryInMs?: number): void {
    this._status = status;
    this.opts.onEvent({ type: "status", status, retryInMs });
  }

  private clear(which: "reconnectTimer" | "pingTimer" | "pongTimer"): void {
    if (this[which] !== null) {
      this.opts.timers.clearTimeout(this[which]);
      this[which] = null;
    }
  }

  private stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = true;
    this.generation++;
    this.clear("reconnectTimer");
    this.clear("pingTimer");
    this.clear("pongTimer");
    this.unsubscribeWake?.();
    this.unsubscribeWake = null;
    this.detach(1000, "client closed");
    this.setStatus("stopped");
    this.opts.onEvent({ type: "stopped", reason });
  }

  /** Forget the current socket (its late events are ignored) and close it. */
  private detach(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      socket.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    if (this._status !== "reconnecting") this.setStatus("connecting");
    let token: string | null;
    try {
      token = await this.opts.getToken();
    } catch {
      if (generation === this.generation) this.scheduleReconnect();
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    if (!token) {
      this.stop("logged_out");
      return;
    }
    this.token = token;
    const Factory = this.opts.WebSocket ?? (globalThis.WebSocket as unknown as SocketFactory);
    const since = this._lastId;
    const url = socketUrl(this.opts.baseUrl ?? defaultBaseUrl(), this.opts.userId, token, since);
    let socket: SocketLike;
    try {
      socket = new Factory(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.helloAt = null;
    this.helloServerTime = null;
    this.resumedFrom = since;
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.closed(event.code);
    };
    socket.onerror = () => {
      /* a close event follows */
    };
  }

  private receive(raw: unknown): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(String(raw)) as Record<string, unknown>;
    } catch {
      return;
    }
    // Any message proves the socket is alive.
    this.clear("pongTimer");
    const emit = this.opts.onEvent;
    switch (message.type) {
      case "hello": {
        const hello = message as unknown as Hello;
        this.helloAt = this.opts.now();
        this.helloServerTime = Date.parse(hello.server_time);
        this.authFailures = 0;
        if (hello.heartbeat_interval > 0) this.heartbeatMs = hello.heartbeat_interval * 1000;
        this.schedulePing();
        this.setStatus("open");
        emit({ type: "hello", hello, resumed: this.resumedFrom !== null });
        break;
      }
      case "notification": {
        const notification = message.notification as LiveNotification;
        if (this.seen.has(notification.id)) return; // a duplicate
        this.remember(notification.id);
        const created = Date.parse(notification.created_at);
        const replay =
          this.resumedFrom !== null &&
          this.helloServerTime !== null &&
          !Number.isNaN(created) &&
          created <= this.helloServerTime;
        emit({ type: "notification", notification, replay });
        break;
      }
      case "notification.updated":
        emit({ type: "updated", notification: message.notification as LiveNotification });
        break;
      case "notification.deleted":
        emit({ type: "deleted", id: message.id as number });
        break;
      case "read":
      case "unread":
        emit({
          type: message.type,
          ids: (message.ids as number[]) ?? [],
          unreadCount: message.unread_count as number,
        });
        break;
      case "reset":
        emit({ type: "reset" });
        break;
      case "error":
        emit({ type: "error", code: String(message.code), message: String(message.message) });
        break;
      case "pong":
      default:
        break;
    }
  }

  private remember(id: number): void {
    this.seen.add(id);
    if (this.seen.size > MAX_REMEMBERED_IDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.advance(id);
  }

  private schedulePing(): void {
    this.clear("pingTimer");
    this.pingTimer = this.opts.timers.setTimeout(() => {
      this.pingTimer = null;
      this.ping();
      this.schedulePing();
    }, this.heartbeatMs);
  }

  private ping(): void {
    if (!this.send({ type: "ping" })) return;
    if (this.pongTimer !== null) return;
    this.pongTimer = this.opts.timers.setTimeout(
      () => {
        this.pongTimer = null;
        // No answer: the socket is dead (sleep, network change). Drop it and reconnect now.
        if (this.socket) {
          this.detach(4000, "heartbeat timeout");
          this.afterClose(1006);
        }
      },
      Math.min(this.opts.pongTimeoutMs, this.heartbeatMs),
    );
  }

  private closed(code: number): void {
    this.socket = null;
    this.afterClose(code);
  }

  private afterClose(code: number): void {
    this.clear("pingTimer");
    this.clear("pongTimer");
    if (this.stopped) return;
    const healthy =
      this.helloAt !== null && this.opts.now() - this.helloAt >= this.opts.healthyAfterMs;
    if (healthy) this.attempt = 0;
    this.helloAt = null;
    if (code === 4403) {
      this.stop("forbidden");
      return;
    }
    if (code === 4401) {
      void this.reauthenticate();
      return;
    }
    this.scheduleReconnect();
  }

  private async reauthenticate(): Promise<void> {
    this.authFailures++;
    if (this.authFailures > 1) {
      // Refreshed and still rejected: the login itself is no good.
      this.stop("unauthorized");
      return;
    }
    const generation = ++this.generation;
    this.setStatus("reconnecting");
    let fresh: string | null;
    try {
      fresh = await this.opts.refreshToken(this.token ?? "");
    } catch {
      if (generation === this.generation) this.scheduleReconnect();
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    if (!fresh) {
      this.stop("logged_out");
      return;
    }
    void this.connect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.clear("reconnectTimer");
    const delay = backoffDelay(
      this.attempt,
      this.opts.random,
      this.opts.backoffBaseMs,
      this.opts.backoffCapMs,
    );
    this.attempt++;
    const offline = this.opts.isOnline
      ? !this.opts.isOnline()
      : typeof navigator !== "undefined" && navigator.onLine === false;
    this.setStatus(offline ? "offline" : "reconnecting", delay);
    this.reconnectTimer = this.opts.timers.setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }
}

export function createNotificationClient(options: ClientOptions): NotificationClient {
  return new NotificationClient(options);
}
