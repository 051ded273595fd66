import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  backoffDelay,
  NotificationClient,
  type ClientEvent,
  type ClientOptions,
  type SocketLike,
} from "./client";

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  readonly params: URLSearchParams;

  constructor(readonly url: string) {
    this.params = new URL(url).searchParams;
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The server accepts and says hello. */
  hello(
    extra: Partial<{ heartbeat_interval: number; server_time: string; unread_count: number }> = {},
  ): void {
    this.readyState = 1;
    this.onopen?.({});
    this.push({
      type: "hello",
      user_id: 42,
      connection_id: "c1",
      unread_count: 0,
      server_time: new Date().toISOString(),
      heartbeat_interval: 10,
      ...extra,
    });
  }

  push(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }

  pings(): number {
    return this.sent.filter((m) => m.type === "ping").length;
  }
}

function notification(id: number, createdAt = new Date().toISOString()) {
  return {
    id,
    user_id: 42,
    title: `n${id}`,
    message: "",
    type: "info",
    priority: "normal",
    data: {},
    action_url: null,
    action_label: null,
    read: false,
    read_at: null,
    created_at: createdAt,
    expires_at: null,
    group_key: null,
    topic: null,
    resource_id: null,
    source: null,
  };
}

interface Harness {
  client: NotificationClient;
  events: ClientEvent[];
  getToken: ReturnType<typeof vi.fn>;
  refreshToken: ReturnType<typeof vi.fn>;
  wake: () => void;
  last(): FakeSocket;
  delays(): number[];
  of<T extends ClientEvent["type"]>(type: T): Extract<ClientEvent, { type: T }>[];
}

function harness(overrides: Partial<ClientOptions> = {}): Harness {
  const events: ClientEvent[] = [];
  let wake: () => void = () => undefined;
  const getToken = vi.fn(async () => "token-1");
  const refreshToken = vi.fn(async () => "token-2");
  const client = new NotificationClient({
    userId: 42,
    baseUrl: "ws://wakedock.test",
    getToken,
    refreshToken,
    onEvent: (event) => events.push(event),
    WebSocket: FakeSocket,
    random: () => 0.999,
    isOnline: () => true,
    wakeSignals: (fn) => {
      wake = fn;
      return () => {
        wake = () => undefined;
      };
    },
    ...overrides,
  });
  return {
    client,
    events,
    getToken,
    refreshToken,
    wake: () => wake(),
    last: () => FakeSocket.all[FakeSocket.all.length - 1],
    delays: () =>
      events.flatMap((e) =>
        e.type === "status" && e.status === "reconnecting" && e.retryInMs !== undefined
          ? [e.retryInMs]
          : [],
      ),
    of: <T extends ClientEvent["type"]>(type: T) =>
      events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type),
  };
}

/** Let the token promise settle (and timers due now fire). */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-25T08:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("grows exponentially, uses full jitter and is capped", () => {
    const top = () => 0.9999;
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, top))).toEqual([499, 999, 1999, 3999, 7999]);
    expect(backoffDelay(6, top)).toBe(29_997); // 32 s capped at 30 s
    expect(backoffDelay(50, top)).toBe(29_997);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, () => 0)).toBe(0);
  });
});

describe("NotificationClient", () => {
  it("connects with the current token and no since at first", async () => {
    const h = harness();
    h.client.start();
    await settle();
    expect(FakeSocket.all).toHaveLength(1);
    const url = new URL(h.last().url);
    expect(url.pathname).toBe("/ws/notifications/42");
    expect(url.searchParams.get("token")).toBe("token-1");
    expect(url.searchParams.has("since")).toBe(false);
    h.last().hello({ unread_count: 3 });
    expect(h.client.status).toBe("open");
    expect(h.of("hello")[0]).toMatchObject({ resumed: false, hello: { unread_count: 3 } });
  });

  it("backs off exponentially with jitter up to the cap while the server is down", async () => {
    const h = harness();
    h.client.start();
    await settle();
    for (let i = 0; i < 9; i++) {
      h.last().serverClose(1006);
      await vi.advanceTimersByTimeAsync(h.delays()[i]);
    }
    expect(FakeSocket.all).toHaveLength(10);
    expect(h.delays()).toEqual([499, 999, 1998, 3996, 7992, 15984, 29970, 29970, 29970]);
    // Jitter: the delay is a random fraction of the ceiling.
    const g = harness({ random: () => 0.25 });
    FakeSocket.all = [];
    g.client.start();
    await settle();
    g.last().serverClose(1013);
    expect(g.delays()).toEqual([125]);
  });

  it("waits the backoff before reconnecting, not less", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(498);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("resets the backoff after a healthy connection, not after a flapping one", async () => {
    const h = harness();
    h.client.start();
    await settle();
    for (let i = 0; i < 4; i++) {
      h.last().serverClose(1006);
      await vi.advanceTimersByTimeAsync(h.delays()[i]);
    }
    // A hello then an immediate close is not healthy: the backoff keeps growing.
    h.last().hello();
    h.last().serverClose(1012);
    expect(h.delays().at(-1)).toBe(7992);
    await vi.advanceTimersByTimeAsync(7992);
    h.last().hello();
    await vi.advanceTimersByTimeAsync(6000);
    h.last().serverClose(1001);
    expect(h.delays().at(-1)).toBe(499);
  });

  it("does not reconnect after close()", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().hello();
    const socket = h.last();
    h.client.close();
    expect(socket.closedWith).toBe(1000);
    socket.serverClose(1000);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(h.of("stopped")).toEqual([{ type: "stopped", reason: "closed" }]);
    expect(h.client.status).toBe("stopped");
  });

  it("cancels a pending retry on close()", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().serverClose(1006);
    h.client.close();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.all).toHaveLength(1);
    h.wake();
    await settle();
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("stops when logged out (no token)", async () => {
    const h = harness();
    h.getToken.mockResolvedValue(null);
    h.client.start();
    await settle();
    expect(FakeSocket.all).toHaveLength(0);
    expect(h.of("stopped")).toEqual([{ type: "stopped", reason: "logged_out" }]);
  });

  it("stops when logging out while waiting to reconnect", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().hello();
    h.getToken.mockResolvedValue(null);
    h.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(h.of("stopped")[0]?.reason).toBe("logged_out");
  });

  it("resumes with since = the highest id seen and drops duplicates", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().hello();
    h.last().push({ type: "notification", notification: notification(5) });
    h.last().push({ type: "notification", notification: notification(9) });
    // Released late (quiet hours):
    h.last().push({ type: "notification", notification: notification(7) });
    h.last().push({ type: "notification", notification: notification(9) }); // duplicate
    expect(h.of("notification").map((e) => e.notification.id)).toEqual([5, 9, 7]);
    expect(h.client.lastId).toBe(9);
    h.last().serverClose(1012);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(h.last().params.get("since")).toBe("9");
    expect(h.last().params.get("token")).toBe("token-1");
    h.last().hello();
    expect(h.of("hello")[1].resumed).toBe(true);
    // The replay overlaps what was already seen: nothing is reported twice.
    h.last().push({ type: "notification", notification: notification(9) });
    h.last().push({ type: "notification", notification: notification(10) });
    expect(h.of("notification").map((e) => e.notification.id)).toEqual([5, 9, 7, 10]);
    h.last().serverClose(4408);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.last().params.get("since")).toBe("10");
  });

  it("marks catch-up replays apart from live notifications", async () => {
    const h = harness({ since: 3 });
    h.client.start();
    await settle();
    expect(h.last().params.get("since")).toBe("3");
    h.last().hello({ server_time: "2026-11-25T08:00:00+00:00" });
    h.last().push({
      type: "notification",
      notification: notification(4, "2026-11-25T07:59:00+00:00"),
    });
    h.last().push({
      type: "notification",
      notification: notification(5, "2026-11-25T08:00:02+00:00"),
    });
    expect(h.of("notification").map((e) => [e.notification.id, e.replay])).toEqual([
      [4, true],
      [5, false],
    ]);
  });

  it("refreshes the token on 4401 and reconnects with the new one", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().hello();
    h.getToken.mockResolvedValue("token-2");
    h.last().serverClose(4401);
    await settle();
    expect(h.refreshToken).toHaveBeenCalledWith("token-1");
    expect(FakeSocket.all).toHaveLength(2);
    expect(h.last().params.get("token")).toBe("token-2");
    h.last().hello();
    expect(h.client.status).toBe("open");
  });

  it("gives up when the refreshed token is rejected again, and stops when the refresh logs out", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().serverClose(4401);
    await settle();
    h.last().serverClose(4401);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.refreshToken).toHaveBeenCalledTimes(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(h.of("stopped")[0]?.reason).toBe("unauthorized");

    FakeSocket.all = [];
    const g = harness();
    g.refreshToken.mockResolvedValue(null);
    g.client.start();
    await settle();
    g.last().serverClose(4401);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(g.of("stopped")[0]?.reason).toBe("logged_out");
  });

  it("does not retry after 4403", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().serverClose(4403);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(h.of("stopped")[0]?.reason).toBe("forbidden");
    expect(h.refreshToken).not.toHaveBeenCalled();
  });

  it("surfaces reset, and resumes from the id the app advances to", async () => {
    const h = harness({ since: 1 });
    h.client.start();
    await settle();
    h.last().hello();
    h.last().push({ type: "reset" });
    expect(h.of("reset")).toHaveLength(1);
    h.client.advance(120); // the newest id of the REST reload
    h.last().serverClose(1012);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.last().params.get("since")).toBe("120");
  });

  it("reports read, unread, updates, deletions and errors", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().hello();
    h.last().push({ type: "read", ids: [1, 2], unread_count: 4 });
    h.last().push({ type: "unread", ids: [2], unread_count: 5 });
    h.last().push({ type: "notification.updated", notification: notification(2) });
    h.last().push({ type: "notification.deleted", id: 2 });
    h.last().push({ type: "error", code: "bad_message", message: "nope" });
    expect(h.events.filter((e) => e.type !== "status" && e.type !== "hello")).toEqual([
      { type: "read", ids: [1, 2], unreadCount: 4 },
      { type: "unread", ids: [2], unreadCount: 5 },
      { type: "updated", notification: notification(2) },
      { type: "deleted", id: 2 },
      { type: "error", code: "bad_message", message: "nope" },
    ]);
  });

  it("pings at the heartbeat interval and keeps a socket that answers", async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().hello({ heartbeat_interval: 10 });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(h.last().pings()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.last().pings()).toBe(1);
    h.last().push({ type: "pong" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.last().pings()).toBe(2);
    h.last().push({ type: "pong" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(h.client.status).toBe("open");
  });

  it("treats a missing pong as a dead socket and reconnects with since", async () => {
    const h = harness();
    h.client.start();
    await settle();
    const first = h.last();
    first.hello({ heartbeat_interval: 10 });
    first.push({ type: "notification", notification: notification(11) });
    await vi.advanceTimersByTimeAsync(10_000); // ping
    expect(first.pings()).toBe(1);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(first.closedWith).toBeNull();
    await vi.advanceTimersByTimeAsync(1); // no pong within the timeout
    expect(first.closedWith).toBe(4000);
    expect(h.client.status).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeSocket.all).toHaveLength(2);
    expect(h.last().params.get("since")).toBe("11");
    // The dead socket's late close event changes nothing.
    first.serverClose(1006);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("reconnects at once when the browser comes back online or the tab becomes visible", async () => {
    const h = harness();
    h.client.start();
    await settle();
    for (let i = 0; i < 6; i++) {
      h.last().serverClose(1006);
      await vi.advanceTimersByTimeAsync(h.delays()[i]);
    }
    h.last().serverClose(1006); // now waiting ~30 s
    expect(FakeSocket.all).toHaveLength(7);
    h.wake();
    await settle();
    expect(FakeSocket.all).toHaveLength(8);
    // On an open socket, waking checks liveness with a ping instead.
    h.last().hello();
    h.wake();
    expect(h.last().pings()).toBe(1);
  });

  it("reports offline while the browser is offline", async () => {
    let online = false;
    const h = harness({ isOnline: () => online });
    h.client.start();
    await settle();
    h.last().serverClose(1006);
    expect(h.client.status).toBe("offline");
    online = true;
    h.wake();
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("sends mark_read and mark_all_read only over an open socket", async () => {
    const h = harness();
    h.client.start();
    await settle();
    expect(h.client.markRead([1])).toBe(false); // not open yet: use REST
    h.last().hello();
    expect(h.client.markRead([1, 2])).toBe(true);
    expect(h.client.markAllRead()).toBe(true);
    expect(h.client.markRead([])).toBe(false);
    expect(h.last().sent).toEqual([{ type: "mark_read", ids: [1, 2] }, { type: "mark_all_read" }]);
    h.last().serverClose(1006);
    expect(h.client.markAllRead()).toBe(false);
  });
});
