"""Scale-out: `wakedock serve --workers 1`, then `--workers 2`, on one PostgreSQL database and
one Redis, the same load each time; reported with this machine's core count.

    python -m bench.scaleout --database-url postgresql+asyncpg://…/wakedock_bench_x \\
        --redis-url redis://127.0.0.1:6379/15 [--connections 1000 --seconds 10]
    python -m bench.scaleout creates --http … --tokens FILE --seconds S --concurrency K   # the load

Two figures per worker count:
- creates/s: REST creates (``POST /api/notifications``, each to one of U users, from their own
  API tokens) sent by a load generator process with K requests in flight at all times, for S
  seconds: how many creates the server answers per second, and their p50/p99 latency.
- fan-out deliveries/s: the fan-out scenario of bench/loadgen.py (C sockets of one user, bursts
  of N concurrent creates, against the raw `websockets` baseline in turns). With 2 workers the
  sockets and the creates spread over both processes; every delivery crosses Redis.

``run_from_env`` is what `make bench` (bench/run.py) calls: the scenario runs when
WAKEDOCK_BENCH_SCALEOUT_DATABASE_URL (a PostgreSQL database whose name contains "bench"; it is
wiped) and WAKEDOCK_BENCH_REDIS_URL are set, and is reported as skipped otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
WORKER_COUNTS = (1, 2)


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (Uvicorn's workers are children of its
    supervisor)."""
    from bench.loadgen import process_cpu

    total = process_cpu(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(tree_cpu(int(child)) for child in children)


async def creates(args: argparse.Namespace) -> dict[str, Any]:
    """The load: K creates in flight for S seconds, each user creating for themselves."""
    import aiohttp
    import orjson

    tokens = json.loads(Path(args.tokens).read_text())
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency),
                                 timeout=aiohttp.ClientTimeout(total=60))
    latencies: list[float] = []
    failed = 0
    stop_at = time.perf_counter() + args.seconds
    cpu0 = tree_cpu(args.pid) if args.pid else 0.0

    async def one_client(index: int) -> None:
        nonlocal failed
        sent = 0
        while time.perf_counter() < stop_at:
            user = tokens[(index + sent * args.concurrency) % len(tokens)]
            sent += 1
            start = time.perf_counter()
            async with http.post(f"{args.http}/api/notifications",
                                 data=orjson.dumps({"title": f"c{index}.{sent}", "message": "x" * 200}),
                                 headers={"Authorization": f"Bearer {user['token']}",
                                          "Content-Type": "application/json"}) as response:
                await response.read()
                if response.status == 201:
                    latencies.append(time.perf_counter() - start)
                else:
                    failed += 1

    began = time.perf_counter()
    await asyncio.gather(*(one_client(i) for i in range(args.concurrency)))
    elapsed = time.perf_counter() - began
    await http.close()
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else 0.0

    return {"creates": len(latencies), "failed": failed, "seconds": round(elapsed, 2),
            "creates_per_s": round(len(latencies) / elapsed, 1), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "server_cpu_s": round(tree_cpu(args.pid) - cpu0, 2) if args.pid else None,
            "concurrency": args.concurrency}


def measure(database_url: str, redis_url: str, *, users: int = 100, connections: int = 1000,
            burst: int = 20, seconds: float = 10, concurrency: int = 64, rounds: int = 11) -> dict[str, Any]:
    """Both worker counts, one after the other, each on a freshly seeded database."""
    from bench import run as bench
    from bench.servers import migrated, running

    results: dict[str, Any] = {"cores": os.cpu_count(), "users": users, "connections": connections,
                               "burst": burst, "seconds": seconds, "concurrency": concurrency}
    for workers in WORKER_COUNTS:
        tmp, database_url = migrated(f"wakedock-scaleout-{workers}-", database_url)
        seeded = asyncio.run(bench.seed(database_url, users=users + 1))
        fan, creators = seeded["users"][0], seeded["users"][1:]
        (tmp / "tokens.json").write_text(json.dumps(creators))
        with running(tmp, database_url, redis_url=redis_url, serve_args=("--workers", str(workers)),
                     stop_timeout=60) as servers:
            http, raw_pid = servers.http, servers.raw_pid or 0
            time.sleep(1 if workers == 1 else 3)  # every worker up, not just the first
            print(f"scale-out, --workers {workers}", flush=True)
            bench.settle(servers.pid, raw_pid)
            created = bench.run_module("bench.scaleout", "creates", "--http", http, "--tokens", str(tmp / "tokens.json"),
                           "--seconds", str(seconds), "--concurrency", str(concurrency),
                           "--pid", str(servers.pid), timeout=900)
            bench.settle(servers.pid, raw_pid)
            ws = f"{servers.ws}/ws/notifications/{fan['user_id']}?token={fan['token']}"
            fanned = bench.loadgen("fanout", "--url", ws, "--http", http, "--token", fan["token"],
                                   "--raw-url", servers.raw_ws, "--raw-pid", str(raw_pid),
                                   "--connections", str(connections), "--burst", str(burst),
                                   "--rounds", str(rounds))
            results[f"workers_{workers}"] = {"creates": created, "fanout": fanned}
    one, two = results["workers_1"], results["workers_2"]
    results["creates_speedup"] = _ratio(two["creates"]["creates_per_s"], one["creates"]["creates_per_s"])
    results["fanout_speedup"] = _ratio(two["fanout"]["wakedock"]["deliveries_per_s"],
                                       one["fanout"]["wakedock"]["deliveries_per_s"])
    return results


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


def run_from_env(sizes: list[int]) -> dict[str, Any] | None:
    """For bench/run.py: the scenario at the largest C up to 1,000, when PostgreSQL and Redis
    are given (see the module's docstring); None otherwise."""
    database_url = os.environ.get("WAKEDOCK_BENCH_SCALEOUT_DATABASE_URL")
    redis_url = os.environ.get("WAKEDOCK_BENCH_REDIS_URL")
    if not database_url or not redis_url:
        return None
    connections = max([c for c in sizes if c <= 1000] or [min(sizes)])
    seconds = 10 if connections >= 1000 else 3
    return measure(database_url, redis_url, connections=connections, seconds=seconds)


def section(results: dict[str, Any] | None) -> list[str]:
    """The RESULTS.md section."""
    lines = ["", "## (g) Scale-out: `--workers 1` vs `--workers 2` (PostgreSQL + Redis)", ""]
    if results is None:
        return [*lines, "Skipped: set WAKEDOCK_BENCH_SCALEOUT_DATABASE_URL (a PostgreSQL database whose",
                "name contains `bench`; it is wiped) and WAKEDOCK_BENCH_REDIS_URL to run it.", ""]
    lines += [
        f"This machine: {results['cores']} cores. Creates: {results['users']} users, each creating for",
        f"themselves over REST, {results['concurrency']} requests in flight for {results['seconds']} s.",
        f"Fan-out: {results['connections']:,} sockets of one user, bursts of {results['burst']} creates,",
        "against the raw baseline in turns (as in (a)). Server CPU: the whole process tree.",
        "",
        "| workers | creates/s | create p50 / p99 | server CPU (creates) | fan-out deliveries/s | fan-out ratio to raw |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for workers in WORKER_COUNTS:
        row = results[f"workers_{workers}"]
        made, fan = row["creates"], row["fanout"]
        lines.append(f"| {workers} | {made['creates_per_s']:,} | {made['p50_ms']} ms / {made['p99_ms']} ms | "
                     f"{made['server_cpu_s']} s | {fan['wakedock']['deliveries_per_s']:,} | {fan['ratio']:.2f} |")
    lines += ["", f"`--workers 2` / `--workers 1`: creates ×{results['creates_speedup']}, "
              f"fan-out ×{results['fanout_speedup']}.", ""]
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "creates":
        parser = argparse.ArgumentParser()
        parser.add_argument("scenario")
        parser.add_argument("--http", required=True)
        parser.add_argument("--tokens", required=True)
        parser.add_argument("--seconds", type=float, default=10)
        parser.add_argument("--concurrency", type=int, default=64)
        parser.add_argument("--pid", type=int)
        print(json.dumps(asyncio.run(creates(parser.parse_args()))))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="PostgreSQL; its name must contain 'bench' (wiped)")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the load generator's sockets
    results = measure(args.database_url, args.redis_url, users=args.users, connections=args.connections,
                      burst=args.burst, seconds=args.seconds, concurrency=args.concurrency, rounds=args.rounds)
    print("\n".join(section(results)))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
