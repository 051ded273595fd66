"""Load generator, run in its own process. Prints one JSON object with the scenario's figures.

    python -m bench.loadgen fanout  --url ws://… --http … --raw-url ws://… --connections 1000 --burst 20
    python -m bench.loadgen latency --url … --http … --tokens FILE --rate 200 --seconds 10
    python -m bench.loadgen storm   --url … --http … --connections 1000 --missed 50
    python -m bench.loadgen idle    --url … --connections 1000 --pid SERVER_PID
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import uvloop
import websockets
from websockets.asyncio.client import ClientConnection


@dataclass
class Client:
    ws: ClientConnection
    received: int = 0
    bytes: int = 0  # of the notification messages
    last: str | bytes = ""  # the last notification message
    last_id: int = 0
    latencies: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    target: int = 0
    pump: asyncio.Task[None] | None = None


async def open_many(urls: list[str], batch: int = 250) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    for start in range(0, len(urls), batch):
        chunk = urls[start:start + batch]
        opened = await asyncio.gather(*(websockets.connect(u, open_timeout=60, max_queue=None,
                                                          ping_interval=None, compression=None)
                                        for u in chunk))
        for ws in opened:
            await ws.recv()  # hello
        sockets.extend(opened)
    return sockets


async def pump(client: Client) -> None:
    async for raw in client.ws:
        message = orjson.loads(raw)
        if message.get("type") != "notification":
            continue
        now = time.time()
        client.received += 1
        client.bytes += len(raw)
        client.last = raw
        note = message["notification"]
        client.last_id = max(client.last_id, note["id"])
        sent_at = (note.get("data") or {}).get("sent_at") or note.get("sent_at")
        if sent_at:
            client.latencies.append(now - float(sent_at))
        if client.target and client.received >= client.target:
            client.done.set()


def client_session(connections: int, token: str) -> aiohttp.ClientSession:
    """Keep-alive HTTP connections for the creates. aiohttp rather than httpx: httpx's pool
    spends O(queued requests) per request, which made this process, not the server, the
    bottleneck at 200 creates/s."""
    return aiohttp.ClientSession(
        # Idle connections closed before Uvicorn's 5 s keep-alive does: a POST sent on one the
        # server is closing fails ("Can not write request body"), and is not retried.
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=4),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=60))


async def fetch(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> int:
    """Send one request, read the whole answer, return its status."""
    data = None if body is None else orjson.dumps(body)
    async with http.request(method, url, data=data) as response:
        await response.read()
        return response.status


def raise_open_files_limit(wanted: int) -> None:
    """As many open files as allowed, and ``wanted`` if this process may raise its hard
    limit (root may, up to the kernel's nr_open)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return
        except (ValueError, OSError):
            pass
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far; 0 without a pid."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Burst:
    """One side of the fan-out comparison: C sockets and how to ask for a burst of N."""

    def __init__(self, clients: list[Client], pid: int | None) -> None:
        self.clients = clients
        self.pid = pid
        self.connected = True
        self.fired = 0
        self.seconds: list[float] = []
        self.cpu_self: list[float] = []
        self.cpu_server: list[float] = []

    async def ask(self, n: int) -> None:
        raise NotImplementedError

    async def run(self, n: int, record: bool) -> float:
        self.fired += n
        for c in self.clients:
            c.target = self.fired
            c.done = asyncio.Event()
        self0, server0 = time.process_time(), process_cpu(self.pid)
        start = time.perf_counter()
        await self.ask(n)
        await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in self.clients)), 600)
        elapsed = time.perf_counter() - start
        if record:
            self.seconds.append(elapsed)
            self.cpu_self.append(time.process_time() - self0)
            self.cpu_server.append(process_cpu(self.pid) - server0)
        return elapsed

    async def disconnect(self) -> None:
        if not self.connected:
            return
        self.connected = False
        for client in self.clients:
            if client.pump is not None:
                client.pump.cancel()
        await asyncio.gather(*(c.ws.close() for c in self.clients), return_exceptions=True)

    def summary(self, burst: int) -> dict[str, Any]:
        elapsed = statistics.median(self.seconds)
        deliveries = burst * len(self.clients)
        return {"deliveries_per_s": round(deliveries / elapsed), "seconds": round(elapsed, 3),
                "round_seconds": [round(r, 3) for r in self.seconds],
                "server_cpu_s": round(statistics.median(self.cpu_server), 3) if self.pid else None,
                "loadgen_cpu_s": round(statistics.median(self.cpu_self), 3),
                "bytes_per_message": round(sum(c.bytes for c in self.clients)
                                           / max(1, sum(c.received for c in self.clients)))}


class WakeDockBurst(Burst):
    """N notifications created over REST, all asked for at once (as the raw server's one
    trigger): one create at a time, each waiting for its answer, would pace the burst by
    this process, busy receiving the previous deliveries."""

    def __init__(self, clients: list[Client], pid: int | None, http: aiohttp.ClientSession,
                 base: str) -> None:
        super().__init__(clients, pid)
        self.http = http
        self.base = base

    async def ask(self, n: int) -> None:
        statuses = await asyncio.gather(*(
            fetch(self.http, "POST", f"{self.base}/api/notifications",
                  {"title": f"burst {self.fired}.{i}", "message": "x" * 200})
            for i in range(n)))
        if any(code != 201 for code in statuses):
            raise SystemExit(f"creates failed: {statuses}")

    def sample(self) -> dict[str, Any]:
        """A notification message as WakeDock sent it."""
        last = self.clients[0].last
        message: dict[str, Any] = orjson.loads(last)
        return message


class RawBurst(Burst):
    """One trigger message; the raw server broadcasts N copies of ``sample`` back to back."""

    def __init__(self, clients: list[Client], pid: int | None, trigger: ClientConnection) -> None:
        super().__init__(clients, pid)
        self.trigger = trigger
        self.notification: dict[str, Any] | None = None

    async def ask(self, n: int) -> None:
        await self.trigger.send(orjson.dumps({"burst": n, "notification": self.notification}).decode())


async def fanout(args: argparse.Namespace) -> dict[str, Any]:
    """C sockets to each server, then bursts to one and the other in turn.

    Taking turns, burst after burst, puts both under the same conditions (what else this
    shared machine does, the state of this process) in one run; each pair gives a ratio and
    the median ratio is reported. The raw server broadcasts a copy of a message WakeDock sent
    (same fields, same bytes), so this process's work per message is the same for both.
    When this process may not hold 2 × C sockets (its open-files limit), the two servers are
    measured one after the other instead, each over the same number of bursts."""
    trigger = await websockets.connect(args.raw_url)
    await trigger.recv()
    # Triggers are opened before any clock starts: a WebSocket for the raw server; HTTP
    # keep-alive connections for WakeDock, warmed with a health check.
    http = client_session(args.burst, args.token)
    await asyncio.gather(*(fetch(http, "GET", f"{args.http}/api/health") for _ in range(args.burst)))
    wakedock = WakeDockBurst(await connect_clients(args.url, args.connections), args.pid, http, args.http)
    await wakedock.run(args.burst, record=False)  # warm-up; gives the message to copy
    notification = wakedock.sample()["notification"]
    interleaved = 2 * args.connections + 100 <= resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if not interleaved:
        for _ in range(args.rounds):
            await asyncio.sleep(0.3)
            await wakedock.run(args.burst, record=True)
        await wakedock.disconnect()
    raw = RawBurst(await connect_clients(args.raw_url, args.connections), args.raw_pid, trigger)
    raw.notification = notification
    await raw.run(args.burst, record=False)
    ratios: list[float] = []
    for number in range(args.rounds):
        if not interleaved:
            await asyncio.sleep(0.3)
            await raw.run(args.burst, record=True)
            continue
        # Alternate which goes first, so neither always follows the other's pause.
        first, second = (wakedock, raw) if number % 2 == 0 else (raw, wakedock)
        await asyncio.sleep(0.3)
        one = await first.run(args.burst, record=True)
        await asyncio.sleep(0.3)
        two = await second.run(args.burst, record=True)
        wd_time, raw_time = (one, two) if first is wakedock else (two, one)
        ratios.append(raw_time / wd_time)
    await wakedock.disconnect()
    await raw.disconnect()
    await http.close()
    await trigger.close()
    if not ratios:
        ratios = [statistics.median(raw.seconds) / statistics.median(wakedock.seconds)]
    return {"connections": args.connections, "burst": args.burst, "rounds": args.rounds,
            "interleaved": interleaved, "ratio": round(statistics.median(ratios), 3),
            "round_ratios": [round(r, 3) for r in ratios],
            "wakedock": wakedock.summary(args.burst), "raw": raw.summary(args.burst)}


async def connect_clients(url: str, connections: int) -> list[Client]:
    clients = [Client(ws) for ws in await open_many([url] * connections)]
    for client in clients:
        client.pump = asyncio.create_task(pump(client))
    return clients


async def latency(args: argparse.Namespace) -> dict[str, Any]:
    tokens = json.loads(open(args.tokens).read())  # [{"user_id", "token"}, ...]
    per_user = max(1, args.connections // len(tokens))
    urls = [f"{args.url}/ws/notifications/{t['user_id']}?token={t['token']}"
            for t in tokens for _ in range(per_user)]
    clients = [Client(ws) for ws in await open_many(urls)]
    tasks = [asyncio.create_task(pump(c)) for c in clients]
    total = int(args.rate * args.seconds)
    interval = 1.0 / args.rate
    http = client_session(50, tokens[0]["admin_token"])
    self0, server0 = time.process_time(), process_cpu(args.pid)
    start = time.perf_counter()
    pending = []
    for i in range(total):
        target = random.choice(tokens)
        pending.append(asyncio.create_task(fetch(
            http, "POST", f"{args.http}/api/notifications",
            {"title": f"t{i}", "user_id": target["user_id"], "data": {"sent_at": time.time()}})))
        await asyncio.sleep(max(0.0, start + (i + 1) * interval - time.perf_counter()))
    results = await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.perf_counter() - start
    achieved = total / elapsed
    server_cpu, self_cpu = process_cpu(args.pid) - server0, time.process_time() - self0
    await http.close()
    await asyncio.sleep(2)
    for t in tasks:
        t.cancel()
    lat = sorted(x for c in clients for x in c.latencies)
    failed = sum(1 for r in results if r != 201)
    errors = sorted({type(r).__name__ for r in results if isinstance(r, BaseException)})

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else float("nan")

    return {"connections": len(clients), "rate": args.rate, "achieved_rate": round(achieved, 1),
            "creates": total, "failed_creates": failed, "errors": errors, "deliveries": len(lat),
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
            # Busy share of one core while the creates were sent and answered.
            "server_cpu_share": round(server_cpu / elapsed, 2) if args.pid else None,
            "loadgen_cpu_share": round(self_cpu / elapsed, 2)}


async def storm(args: argparse.Namespace) -> dict[str, Any]:
    base = f"{args.url}?token={args.token}"
    sockets = await open_many([base] * args.connections)
    # Everyone is caught up now: close all, create while away, then all resume at once.
    async with client_session(1, args.token) as http:
        async with http.post(f"{args.http}/api/notifications", data=orjson.dumps({"title": "mark"})) as first_response:
            first = (await first_response.json())["id"]
        await asyncio.sleep(0.5)
        await asyncio.gather(*(ws.close() for ws in sockets))
        for i in range(args.missed):
            if await fetch(http, "POST", f"{args.http}/api/notifications", {"title": f"missed {i}"}) != 201:
                raise SystemExit("a create failed")
    start = time.perf_counter()
    clients = [Client(ws, target=args.missed) for ws in await open_many([f"{base}&since={first}"] * args.connections)]
    tasks = [asyncio.create_task(pump(c)) for c in clients]
    try:
        await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in clients)), 300)
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - start
    for t in tasks:
        t.cancel()
    lost = sum(max(0, args.missed - c.received) for c in clients)
    return {"connections": args.connections, "missed_per_client": args.missed,
            "seconds_to_all_caught_up": round(elapsed, 2), "lost": lost}


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    # Warm up first (a batch of sockets opened and closed): what the first connections make
    # once (database connections of the pool, caches, lazily built state) is not a cost per
    # connection.
    warm = await open_many([args.url] * min(250, args.connections))
    await asyncio.gather(*(ws.close() for ws in warm))
    await asyncio.sleep(1)
    before = rss_kb(args.pid)
    sockets = await open_many([args.url] * args.connections)
    await asyncio.sleep(3)
    after = rss_kb(args.pid)
    await asyncio.gather(*(ws.close() for ws in sockets))
    return {"connections": args.connections, "rss_before_kb": before, "rss_after_kb": after,
            "kb_per_connection": round((after - before) / args.connections, 2)}


def main() -> None:
    raise_open_files_limit(2 * 10_000 + 1_000)  # fanout holds C sockets to each server
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["fanout", "latency", "storm", "idle"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--http")
    parser.add_argument("--token")
    parser.add_argument("--tokens")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--missed", type=int, default=50)
    parser.add_argument("--pid", type=int, help="the (WakeDock) server's pid, for its CPU time")
    parser.add_argument("--raw-url", help="fanout: the raw baseline server")
    parser.add_argument("--raw-pid", type=int, help="fanout: the raw server's pid")
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    result = uvloop.run({"fanout": fanout, "latency": latency, "storm": storm, "idle": idle}[args.scenario](args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
