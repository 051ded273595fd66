"""Load generator, run in its own process. Prints one JSON object with the scenario's figures.

    python -m bench.loadgen fanout  --url ws://… --connections 1000 --burst 20 [--raw]
    python -m bench.loadgen latency --url … --http … --tokens FILE --rate 200 --seconds 10
    python -m bench.loadgen storm   --url … --http … --connections 1000 --missed 50
    python -m bench.loadgen idle    --url … --connections 1000 --pid SERVER_PID
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
        connector=aiohttp.TCPConnector(limit=connections),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=60))


async def fetch(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> int:
    """Send one request, read the whole answer, return its status."""
    data = None if body is None else orjson.dumps(body)
    async with http.request(method, url, data=data) as response:
        await response.read()
        return response.status


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def fanout(args: argparse.Namespace) -> dict[str, Any]:
    urls = [args.url] * args.connections
    clients = [Client(ws) for ws in await open_many(urls)]
    tasks = [asyncio.create_task(pump(c)) for c in clients]
    # Both triggers are opened before the clock starts (a WebSocket for the raw server; HTTP
    # keep-alive connections for WakeDock, warmed with a health check), so the timing covers
    # the burst, not client set-up.
    http: aiohttp.ClientSession | None = None
    trigger = None
    if args.raw:
        trigger = await websockets.connect(args.url)
        await trigger.recv()
    else:
        http = client_session(args.burst, args.token)
        await asyncio.gather(*(fetch(http, "GET", f"{args.http}/api/health") for _ in range(args.burst)))
    # One burst takes a fraction of a second: several, with a pause between them, and the
    # median, so that one stray pause of this shared machine does not decide the result.
    rounds: list[float] = []
    for number in range(1, args.rounds + 1):
        for c in clients:
            c.target = args.burst * number
            c.done = asyncio.Event()
        start = time.perf_counter()
        if trigger is not None:
            sample = json.loads(open(args.sample).read())["notification"] if args.sample else None
            await trigger.send(json.dumps({"burst": args.burst, "notification": sample}))
        else:
            assert http is not None
            # The whole burst is asked for at once, as the raw server is (one trigger message,
            # then N back-to-back broadcasts): one create at a time, each waiting for its
            # answer, would pace the burst by this process, busy receiving the deliveries.
            statuses = await asyncio.gather(*(
                fetch(http, "POST", f"{args.http}/api/notifications",
                      {"title": f"burst {number}.{i}", "message": "x" * 200})
                for i in range(args.burst)))
            if any(code != 201 for code in statuses):
                raise SystemExit(f"creates failed: {statuses}")
        await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in clients)), 600)
        rounds.append(time.perf_counter() - start)
        await asyncio.sleep(0.5)
    for t in tasks:
        t.cancel()
    if http is not None:
        await http.close()
    if trigger is not None:
        await trigger.close()
    deliveries = sum(c.received for c in clients)
    if args.sample_out:
        last = clients[0].last
        with open(args.sample_out, "w") as out:
            out.write(last if isinstance(last, str) else last.decode())
    per_round = deliveries / args.rounds
    elapsed = statistics.median(rounds)
    return {"connections": args.connections, "burst": args.burst, "rounds": args.rounds,
            "deliveries": deliveries, "seconds": round(elapsed, 3),
            "round_seconds": [round(r, 3) for r in rounds],
            "deliveries_per_s": round(per_round / elapsed),
            "bytes_per_message": round(sum(c.bytes for c in clients) / max(1, deliveries))}


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
    start = time.perf_counter()
    pending = []
    for i in range(total):
        target = random.choice(tokens)
        pending.append(asyncio.create_task(fetch(
            http, "POST", f"{args.http}/api/notifications",
            {"title": f"t{i}", "user_id": target["user_id"], "data": {"sent_at": time.time()}})))
        await asyncio.sleep(max(0.0, start + (i + 1) * interval - time.perf_counter()))
    results = await asyncio.gather(*pending, return_exceptions=True)
    achieved = total / (time.perf_counter() - start)
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
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None}


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
    before = rss_kb(args.pid)
    sockets = await open_many([args.url] * args.connections)
    await asyncio.sleep(3)
    after = rss_kb(args.pid)
    await asyncio.gather(*(ws.close() for ws in sockets))
    return {"connections": args.connections, "rss_before_kb": before, "rss_after_kb": after,
            "kb_per_connection": round((after - before) / args.connections, 2)}


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
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
    parser.add_argument("--pid", type=int)
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", help="raw: a file holding the message to broadcast (WakeDock's)")
    parser.add_argument("--sample-out", help="write one received message to this file")
    args = parser.parse_args()
    result = uvloop.run({"fanout": fanout, "latency": latency, "storm": storm, "idle": idle}[args.scenario](args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
