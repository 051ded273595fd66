"""A publish through Gotify's or ntfy's API against WakeDock's own create, on one server.

    python -m bench.compat                     # its own `wakedock serve` on SQLite
    python -m bench.compat --requests 300 --concurrency 10 --rounds 3

Four ways to create the same notification for the same user, who has one socket open
receiving them: ``POST /api/notifications`` (an API token), the same with ``topic`` (a topic
send, as ntfy's publish is: the user is the topic's one subscriber), Gotify's ``POST /message``
(an application token) and ntfy's ``POST /{topic}`` (an access token). Each round runs each path in turn (the order rotates every round), each turn
``--requests`` creates sent by ``--concurrency`` workers one after another. Reported per path:
creates/s (all its turns' creates over all their time), mean and p99 of a request, the server's
CPU per create, and the throughput ratio against the native path with the median and spread of
the per-round ratios (ntfy's also against the native topic send, its like-for-like).

These figures are the paths' speed under load, for reference. Whether a protocol path "costs
no more" than the native create (issue 19) is judged on instructions per request, which this
shared machine's turn-to-turn noise does not move: ``bench.compat_cost``, reported after this
table. ``scenario`` runs against any server (``bench.run`` passes its own); ``markdown`` renders
the figures for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import websockets

from bench.loadgen import process_cpu

ROOT = Path(__file__).resolve().parent
TOPIC = "benchcompat"
PATHS = ("native", "native_topic", "gotify", "ntfy")


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Totals:
    creates: int = 0
    failed: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    turn_rates: list[float] = field(default_factory=list)


def requests_for(http: str, tokens: dict[str, str]) -> dict[str, Any]:
    """How each path sends create number ``i`` (the same title and message on every path)."""

    def native(i: int) -> Request:
        body = orjson.dumps({"title": "bench", "message": f"m {i}"})
        headers = {
            "Authorization": f"Bearer {tokens['native']}",
            "Content-Type": "application/json",
        }
        return Request("POST", f"{http}/api/notifications", headers, body)

    def native_topic(i: int) -> Request:
        body = orjson.dumps({"title": "bench", "message": f"m {i}", "topic": TOPIC})
        headers = {
            "Authorization": f"Bearer {tokens['native']}",
            "Content-Type": "application/json",
        }
        return Request("POST", f"{http}/api/notifications", headers, body)

    def gotify(i: int) -> Request:
        body = orjson.dumps({"title": "bench", "message": f"m {i}"})
        headers = {"X-Gotify-Key": tokens["gotify"], "Content-Type": "application/json"}
        return Request("POST", f"{http}/message", headers, body)

    def ntfy(i: int) -> Request:
        headers = {"Authorization": f"Bearer {tokens['ntfy']}", "Title": "bench"}
        return Request("POST", f"{http}/{TOPIC}", headers, f"m {i}".encode())

    return {"native": native, "native_topic": native_topic, "gotify": gotify, "ntfy": ntfy}


async def setup(http: str, username: str, password: str) -> tuple[int, dict[str, str]]:
    """The user's id and a token for each path, made through the API as a user would."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{http}/api/auth/login", json={"username": username, "password": password}
        ) as r:
            r.raise_for_status()
            login = await r.json()
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        async with session.get(f"{http}/api/auth/me", headers=auth) as r:
            user_id = int((await r.json())["id"])
        stamp = str(time.time_ns())
        async with session.post(
            f"{http}/api/auth/api-tokens", headers=auth, json={"name": f"bench-compat-{stamp}"}
        ) as r:
            r.raise_for_status()
            native = (await r.json())["token"]
        async with session.post(
            f"{http}/api/compat/gotify/applications",
            headers=auth,
            json={"name": f"bench {stamp}", "default_priority": 5},
        ) as r:
            r.raise_for_status()
            gotify = (await r.json())["token"]
        async with session.post(
            f"{http}/api/compat/ntfy/tokens", headers=auth, json={"name": f"bench {stamp}"}
        ) as r:
            r.raise_for_status()
            ntfy = (await r.json())["token"]
        # A subscriber's poll subscribes the user to the topic (its one subscriber).
        async with session.get(
            f"{http}/{TOPIC}/json?poll=1", headers={"Authorization": f"Bearer {ntfy}"}
        ) as r:
            r.raise_for_status()
    return user_id, {"native": native, "gotify": gotify, "ntfy": ntfy}


async def turn(
    session: aiohttp.ClientSession,
    make: Any,
    requests: int,
    concurrency: int,
    totals: Totals,
    pid: int | None,
    offset: int,
) -> float:
    """``requests`` creates by ``concurrency`` workers, each sending its next one when the last
    is answered; returns this turn's creates/s."""
    counter = iter(range(requests))
    latencies: list[float] = []
    failed = 0

    async def worker() -> None:
        nonlocal failed
        for i in counter:
            req = make(offset + i)
            start = time.perf_counter()
            async with session.request(
                req.method, req.url, headers=req.headers, data=req.body
            ) as r:
                await r.read()
                if r.status not in (200, 201):
                    failed += 1
            latencies.append(time.perf_counter() - start)

    cpu0 = process_cpu(pid)
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    totals.server_cpu_s += process_cpu(pid) - cpu0
    totals.creates += requests
    totals.failed += failed
    totals.seconds += elapsed
    totals.latencies.extend(latencies)
    rate = requests / elapsed
    totals.turn_rates.append(rate)
    return rate


async def notification_socket(
    ws_base: str, user_id: int, token: str, open_timeout: float = 10
) -> Any:
    """The user's notification socket, past its hello."""
    socket = await websockets.connect(
        f"{ws_base}/ws/notifications/{user_id}?token={token}",
        max_queue=None,
        ping_interval=None,
        compression=None,
        open_timeout=open_timeout,
    )
    await socket.recv()  # hello
    return socket


async def scenario(
    http: str,
    ws_base: str,
    username: str,
    password: str,
    pid: int | None,
    *,
    requests: int = 1000,
    concurrency: int = 10,
    rounds: int = 5,
    warmup: int = 50,
) -> dict[str, Any]:
    """Measure the three paths against a running server (``pid``: its process, for CPU)."""
    user_id, tokens = await setup(http, username, password)
    makers = requests_for(http, tokens)
    socket = await notification_socket(ws_base, user_id, tokens["native"])
    received = 0

    async def drain() -> None:
        nonlocal received
        async for raw in socket:
            if orjson.loads(raw).get("type") == "notification":
                received += 1

    drainer = asyncio.create_task(drain())
    totals = {name: Totals() for name in PATHS}
    round_ratios: dict[str, list[float]] = {"native_topic": [], "gotify": [], "ntfy": []}
    topic_ratios: list[float] = []  # ntfy against the native topic send
    sent = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    ) as session:
        for name in PATHS:  # warm-up, not counted: caches, first-use imports
            await turn(session, makers[name], warmup, concurrency, Totals(), pid, sent)
            sent += warmup
        for number in range(rounds):
            shift = number % len(PATHS)
            order = PATHS[shift:] + PATHS[:shift]
            rates = {}
            for name in order:
                rates[name] = await turn(
                    session, makers[name], requests, concurrency, totals[name], pid, sent
                )
                sent += requests
            for name in round_ratios:
                round_ratios[name].append(rates[name] / rates["native"])
            topic_ratios.append(rates["ntfy"] / rates["native_topic"])
    deadline = time.monotonic() + 30
    while received < sent and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    drainer.cancel()
    await socket.close()

    def shape(t: Totals) -> dict[str, Any]:
        lat = sorted(t.latencies)
        return {
            "creates": t.creates,
            "failed": t.failed,
            "creates_per_s": round(t.creates / t.seconds, 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000, 2),
            "server_cpu_ms_per_create": round(t.server_cpu_s / t.creates * 1000, 3)
            if pid
            else None,
        }

    result: dict[str, Any] = {
        "requests_per_turn": requests,
        "concurrency": concurrency,
        "rounds": rounds,
        "sent": sent,
        "received_on_socket": received,
    }
    native = shape(totals["native"])
    result["native"] = native
    for name in PATHS[1:]:
        row = shape(totals[name])
        row["ratio"] = round(row["creates_per_s"] / native["creates_per_s"], 3)
        ratios = round_ratios[name]
        row["round_ratio_median"] = round(statistics.median(ratios), 3)
        row["round_ratio_min"] = round(min(ratios), 3)
        row["round_ratio_max"] = round(max(ratios), 3)
        result[name] = row
    topic = result["native_topic"]
    result["ntfy"]["ratio_vs_topic"] = round(
        result["ntfy"]["creates_per_s"] / topic["creates_per_s"], 3
    )
    result["ntfy"]["round_ratio_vs_topic_median"] = round(statistics.median(topic_ratios), 3)
    result["ntfy"]["round_ratio_vs_topic_min"] = round(min(topic_ratios), 3)
    result["ntfy"]["round_ratio_vs_topic_max"] = round(max(topic_ratios), 3)
    return result


def markdown(result: dict[str, Any]) -> list[str]:
    """The section of bench/RESULTS.md."""
    lines = [
        "## (f) Gotify and ntfy publishes against the native create",
        "",
        f"One `wakedock serve`; one user with one socket open; {result['rounds']} rounds, each path "
        f"in turn ({result['requests_per_turn']:,} creates by {result['concurrency']} concurrent "
        "sequential workers per turn, the order rotating). Native: `POST /api/notifications`; "
        "native_topic: the same with `topic` (a reference: ntfy's like-for-like, a topic send); "
        "Gotify: `POST /message` (application token); ntfy: `POST /{topic}` (the user its one "
        "subscriber). Throughput and CPU time, for reference: the verdict (cost ≤ native) is on "
        "instructions per request, below. "
        f"Socket received {result['received_on_socket']:,} of {result['sent']:,} creates.",
        "",
        "| path | creates/s | mean ms | p99 ms | server CPU ms/create | throughput ratio (rounds: median, min–max) | failed |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in PATHS:
        row = result[name]
        ratio = (
            "1.00"
            if name == "native"
            else (
                f"{row['ratio']:.2f} ({row['round_ratio_median']:.2f}, "
                f"{row['round_ratio_min']:.2f}–{row['round_ratio_max']:.2f})"
            )
        )
        lines.append(
            f"| {name} | {row['creates_per_s']:,} | {row['mean_ms']} | {row['p99_ms']} | "
            f"{row['server_cpu_ms_per_create']} | {ratio} | {row['failed']} |"
        )
    ntfy = result["ntfy"]
    lines += [
        "",
        f"ntfy against the native topic send (`POST /api/notifications` with `topic`, the "
        f"same subscriber): {ntfy['ratio_vs_topic']:.2f}× (rounds: median "
        f"{ntfy['round_ratio_vs_topic_median']:.2f}, {ntfy['round_ratio_vs_topic_min']:.2f}–"
        f"{ntfy['round_ratio_vs_topic_max']:.2f}).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000, help="creates per path per turn")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = parser.parse_args()

    from bench.run import ADMIN_PASSWORD, seed
    from bench.servers import migrated, running

    tmp, database_url = migrated("wakedock-bench-compat-", args.database_url)
    asyncio.run(seed(database_url, users=0))
    with running(tmp, database_url, raw=False) as server:
        result = asyncio.run(
            scenario(
                server.http,
                server.ws,
                "admin",
                ADMIN_PASSWORD,
                server.pid,
                requests=args.requests,
                concurrency=args.concurrency,
                rounds=args.rounds,
            )
        )
    print("\n".join(markdown(result)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
