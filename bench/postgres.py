"""The PostgreSQL targets of `make bench`: a burst to one user against the raw baseline, and
one broadcast to 10,000 users, both on a PostgreSQL database.

    python -m bench.postgres --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/wakedock_bench_x
    python -m bench.postgres --database-url … --skip-broadcast --connections 1000 --rounds 11

- burst: the fan-out scenario of bench/loadgen.py (C sockets of one user, bursts of N
  concurrent REST creates, against the raw `websockets` server in turns, in one run) on a fresh
  `wakedock serve` whose database is PostgreSQL. Target: ≥ 0.8× raw. On PostgreSQL every create
  of one user locks that user's stream ledger row until it commits; the group commit lanes
  (src/wakedock/db/group_commit.py) write the creates that queue behind it together.
- broadcast: bench/broadcast.py's 10,000 users × 1 socket × 1 broadcast on PostgreSQL: time to
  last delivery, server RSS growth and lost, reported (its targets: 0 lost, ≤ 50 MB).

``run_from_env`` is what bench/run.py calls: both run when WAKEDOCK_BENCH_POSTGRES_URL names a
PostgreSQL database whose name contains "bench" (it is wiped); `make bench` sets it to a local
`wakedock_bench_pg` database when `pg_isready` answers on 127.0.0.1:5432. Unset: skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
BURST_TARGET = 0.8
BROADCAST_SIZE = (10_000, 1, 1)  # users, sockets per user, broadcasts
RSS_TARGET_MB = 50.0


def burst(database_url: str, *, connections: int, burst: int = 20, rounds: int = 11) -> dict[str, Any]:
    """The fan-out scenario on PostgreSQL: a fresh database and servers, one run."""
    from bench import run as bench
    from bench.servers import migrated, running

    tmp, database_url = migrated("wakedock-bench-pg-", database_url)
    fan = asyncio.run(bench.seed(database_url, users=1))["users"][0]
    with running(tmp, database_url) as servers:
        raw_pid = servers.raw_pid or 0
        bench.settle(servers.pid, raw_pid)
        ws = f"{servers.ws}/ws/notifications/{fan['user_id']}?token={fan['token']}"
        return bench.loadgen(
            "fanout", "--url", ws, "--http", servers.http, "--token", fan["token"],
            "--raw-url", servers.raw_ws, "--pid", str(servers.pid),
            "--raw-pid", str(raw_pid), "--connections", str(connections),
            "--burst", str(burst), "--rounds", str(rounds),
        )  # fmt: skip


def measure(database_url: str, *, connections: int = 1000, with_broadcast: bool = True,
            rounds: int = 11) -> dict[str, Any]:  # fmt: skip
    from bench import broadcast

    results: dict[str, Any] = {}
    print(f"PostgreSQL: burst to one user, {connections:,} sockets", flush=True)
    results["burst"] = burst(database_url, connections=connections, rounds=rounds)
    if with_broadcast:
        users, sockets, count = BROADCAST_SIZE
        print(f"PostgreSQL: broadcast {users}x{sockets}x{count}", flush=True)
        results["broadcast"] = broadcast.run_standalone(
            users=users, sockets=sockets, broadcasts=count, database_url=database_url
        )
        print(f"  {json.dumps(results['broadcast'])}", flush=True)
    print_verdicts(results)
    return results


def run_from_env(sizes: list[int]) -> dict[str, Any] | None:
    """For bench/run.py: at the largest C up to 1,000 (as the scale-out), when
    WAKEDOCK_BENCH_POSTGRES_URL is set; None otherwise."""
    database_url = os.environ.get("WAKEDOCK_BENCH_POSTGRES_URL")
    if not database_url:
        return None
    connections = max([c for c in sizes if c <= 1000] or [min(sizes)])
    return measure(database_url, connections=connections)


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, figure, met) for what ran."""
    fan = results["burst"]
    pairs = fan["round_ratios"]
    rows = [(f"PostgreSQL burst to one user ({fan['connections']:,} sockets × {fan['burst']}): "
             f"≥ {BURST_TARGET}× raw", f"{fan['ratio']}× (pairs {min(pairs)}–{max(pairs)})",
             fan["ratio"] >= BURST_TARGET)]  # fmt: skip
    if "broadcast" in results:
        b = results["broadcast"]
        name = "x".join(str(n) for n in BROADCAST_SIZE)
        rows += [
            (f"PostgreSQL broadcast {name}: 0 lost", f"{b['lost']} lost", b["lost"] == 0),
            (f"PostgreSQL broadcast {name}: RSS growth ≤ {RSS_TARGET_MB:.0f} MB",
             f"{b['wakedock']['rss_growth_mb']} MB", b["wakedock"]["rss_growth_mb"] <= RSS_TARGET_MB),
            (f"PostgreSQL broadcast {name}: time to last delivery (reported)",
             f"{b['wakedock']['seconds']} s (rounds {b['wakedock']['round_seconds']})", True),
        ]  # fmt: skip
    return rows


def print_verdicts(results: dict[str, Any]) -> None:
    for target, figure, met in targets(results):
        print(f"  {target}: {figure} — {'met' if met else 'MISSED'}", flush=True)


def section(results: dict[str, Any] | None) -> list[str]:
    """The RESULTS.md section."""
    lines = ["", "## (h) PostgreSQL: a burst to one user, a broadcast to 10,000 users", ""]
    if results is None:
        return [*lines, "Skipped: set WAKEDOCK_BENCH_POSTGRES_URL (a PostgreSQL database whose name",
                "contains `bench`; it is wiped) to run it. `make bench` sets it to",
                "`wakedock_bench_pg` on 127.0.0.1:5432 when `pg_isready` answers there.", ""]  # fmt: skip
    fan = results["burst"]
    wd, raw = fan["wakedock"], fan["raw"]
    lines += [
        "bench/postgres.py: `wakedock serve` on PostgreSQL (fresh database), the raw baseline and",
        "the load generator as in (a): C sockets of one user, bursts of N concurrent creates, in",
        "turns with the raw server (the ratio is the median of the pairs'). Then bench/broadcast.py's",
        "10,000 users × 1 socket × 1 broadcast on the same PostgreSQL database (wiped first).",
        "",
        "| C | burst | WakeDock deliveries/s | raw deliveries/s | ratio (pairs: min–max) | time to last delivery (WakeDock / raw) | server CPU (WakeDock / raw) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| {fan['connections']:,} | {fan['burst']} | {wd['deliveries_per_s']:,} | "
        f"{raw['deliveries_per_s']:,} | {fan['ratio']:.2f} ({min(fan['round_ratios']):.2f}–"
        f"{max(fan['round_ratios']):.2f}) | {wd['seconds']} s / {raw['seconds']} s | "
        f"{wd['server_cpu_s']} s / {raw['server_cpu_s']} s |",
    ]  # fmt: skip
    if "broadcast" in results:
        b = results["broadcast"]
        lines += [
            "",
            "| broadcast (U×K×M) | time to last delivery (WakeDock rounds / raw) | WakeDock RSS growth | lost |",
            "| --- | --- | --- | --- |",
            f"| {'x'.join(str(n) for n in BROADCAST_SIZE)} | {b['wakedock']['seconds']} s "
            f"({', '.join(str(s) for s in b['wakedock']['round_seconds'])}) / {b['raw']['seconds']} s | "
            f"{b['wakedock']['rss_growth_mb']} MB | {b['lost']} |",
        ]  # fmt: skip
    lines += ["", *(f"- {t}: {f} — {'met' if ok else '**not met**'}" for t, f, ok in targets(results)), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="PostgreSQL; its name must contain 'bench' (wiped)")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--skip-broadcast", action="store_true")
    args = parser.parse_args()
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = measure(args.database_url, connections=args.connections,
                      with_broadcast=not args.skip_broadcast, rounds=args.rounds)  # fmt: skip
    print("\n".join(section(results)))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
