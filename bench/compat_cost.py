"""Instructions per publish: Gotify's and ntfy's against the native create, counted by callgrind.

    python -m bench.compat_cost                        # its own `wakedock serve` under valgrind
    python -m bench.compat_cost --requests 60 --runs 2

Issue 19 asks that a publish through either protocol cost no more than ``POST
/api/notifications``. Throughput and CPU time on this shared machine move by more than the
differences in question (bench/compat.py); instructions executed do not. One ``wakedock serve``
(SQLite, the gateway as served: ``wakedock.gateway``, ``compat.direct``,
``notifications.create_direct``) runs under ``valgrind --tool=callgrind`` with instrumentation
off; for each path in turn, instrumentation is turned on (``callgrind_control -i on``), the
path's ``--requests`` creates are sent one after another, each awaited until its notification
reached the user's open socket (its whole work, delivery included, inside the window), then
instrumentation is turned off and the counts dumped. Each run measures the native create first
and last (its count is the mean of the two) and the other paths in between, their order
rotating from run to run. Every thread of the server counts (the event loop and SQLite's). The paths are bench/compat.py's: native (an API token), Gotify's
``POST /message`` (an application token) and ntfy's ``POST /{topic}`` (an access token; the
user is the topic's one subscriber). Each path is measured ``--runs`` times to show the counts
repeat.

What else the server does now and then lands in whichever window is open: SQLite's WAL
checkpoint, the hub's check of the sockets' credentials (every 30 s), the delivery worker's
poll, a token's last-use write (once a minute): a run whose window took one of them reads up to
~2% high for that path. So each path is measured in several runs (3) and judged on the median
of its per-run ratios.

The rule: a protocol path is met when the median of its per-run ratios to the native create's
instructions per request is at most 1.00.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.compat import notification_socket, requests_for, setup

PATHS = ("native", "native_topic", "gotify", "ntfy")
REFERENCE = "native_topic"  # ntfy's like-for-like (a topic send): reported, not judged
TARGET = 1.00
_TOTALS = re.compile(rb"^totals:\s+(\d+)", re.MULTILINE)


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


def _control(pid: int, *args: str) -> None:
    subprocess.run(
        ["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=60
    )


def _dumped(directory: Path, pid: int, before: set[Path]) -> int:
    """The instructions in the dump callgrind just wrote (its ``totals`` line)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = sorted(set(directory.glob(f"cg.{pid}.*")) - before)
        for path in new:
            found = _TOTALS.search(path.read_bytes())
            if found is not None:
                return int(found.group(1))
        time.sleep(0.1)
    raise RuntimeError("callgrind wrote no dump")


async def measure(
    http: str,
    ws_base: str,
    username: str,
    password: str,
    pid: int,
    out_dir: Path,
    *,
    requests: int,
    runs: int,
    warmup: int,
) -> dict[str, Any]:
    """Instructions per request of each path, ``runs`` times (``pid``: valgrind's process)."""
    user_id, tokens = await setup(http, username, password)
    makers = requests_for(http, tokens)
    socket = await notification_socket(ws_base, user_id, tokens["native"], open_timeout=60)
    received = asyncio.Queue[None]()

    async def drain() -> None:
        async for raw in socket:
            if orjson.loads(raw).get("type") == "notification":
                received.put_nowait(None)

    drainer = asyncio.create_task(drain())
    sent = 0
    failed = 0
    counts: dict[str, list[float]] = {name: [] for name in PATHS}

    async def send(session: aiohttp.ClientSession, name: str, n: int) -> None:
        nonlocal sent, failed
        for _ in range(n):
            req = makers[name](sent)
            sent += 1
            async with session.request(
                req.method, req.url, headers=req.headers, data=req.body
            ) as r:
                await r.read()
                failed += r.status not in (200, 201)
            await asyncio.wait_for(received.get(), 60)  # its delivery, inside the window

    timeout = aiohttp.ClientTimeout(total=600)
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for name in PATHS:  # warm-up, not counted: caches, first-use imports, the pool
            await send(session, name, warmup)
        for run in range(runs):
            order = PATHS[run % len(PATHS) :] + PATHS[: run % len(PATHS)]
            # The native create both first and last of the run (its count: the mean of the
            # two): every path costs a little more as the tables grow (~0.4% over a run),
            # which would otherwise favour whichever path comes first.
            order = ("native", *(name for name in order if name != "native"), "native")
            seen: dict[str, list[float]] = {name: [] for name in PATHS}
            for name in order:
                before = set(out_dir.glob(f"cg.{pid}.*"))
                await asyncio.to_thread(_control, pid, "-i", "on")
                await send(session, name, requests)
                await asyncio.to_thread(_control, pid, "-i", "off")
                await asyncio.to_thread(_control, pid, "-d", f"{name}-{run}")
                total = await asyncio.to_thread(_dumped, out_dir, pid, before)
                seen[name].append(total / requests)
            for name, values in seen.items():
                counts[name].append(sum(values) / len(values))
    drainer.cancel()
    await socket.close()

    result: dict[str, Any] = {
        "requests_per_run": requests,
        "runs": runs,
        "failed": failed,
        "target_ratio": TARGET,
    }
    native = counts["native"]
    for name in PATHS:
        row: dict[str, Any] = {"instructions_per_request": [round(c) for c in counts[name]]}
        if name != "native":
            ratios = [c / n for c, n in zip(counts[name], native, strict=True)]
            row["ratios"] = [round(r, 3) for r in ratios]
            row["ratio_median"] = round(statistics.median(ratios), 3)
            if name != REFERENCE:
                row["met"] = statistics.median(ratios) <= TARGET and failed == 0
        result[name] = row
    return result


def run_server(
    *, requests: int = 60, runs: int = 3, warmup: int = 20, keep: Path | None = None
) -> dict[str, Any]:
    """Start its own ``wakedock serve`` under callgrind (SQLite in a temporary directory)."""
    from bench.run import ADMIN_PASSWORD, seed
    from bench.servers import migrated, running

    tmp, database_url = migrated("wakedock-bench-cost-")
    asyncio.run(seed(database_url, users=0))
    # Nothing periodic inside a window: no heartbeats, the delivery worker's poll rare.
    quiet = {
        "WAKEDOCK_WORKER_POLL_INTERVAL_SECONDS": "60",
        "PYTHONHASHSEED": os.environ.get("BENCH_HASH_SEED", "0"),
    }
    callgrind = (
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={tmp / 'cg.%p'}",
    )
    try:
        with running(
            tmp, database_url, raw=False, wrapper=callgrind, env=quiet, start_timeout=180,
            stop_timeout=60,
        ) as server:  # fmt: skip
            return asyncio.run(
                measure(
                    server.http,
                    server.ws,
                    "admin",
                    ADMIN_PASSWORD,
                    server.pid,
                    tmp,
                    requests=requests,
                    runs=runs,
                    warmup=warmup,
                )
            )
    finally:
        if keep is not None:  # the dumps, for callgrind_annotate
            keep.mkdir(parents=True, exist_ok=True)
            for dump in tmp.glob("cg.*"):
                shutil.move(dump, keep / dump.name)
        shutil.rmtree(tmp, ignore_errors=True)


def markdown(result: dict[str, Any]) -> list[str]:
    """Lines for bench/RESULTS.md's section (f)."""
    lines = [
        "",
        "Instructions per request (`python -m bench.compat_cost`: the same server's paths under "
        f"callgrind, {result['requests_per_run']} sequential creates per path per run, each "
        f"awaited until delivered on the socket, {result['runs']} runs, native first and last of "
        "each (its count the mean of the two), the others between in rotating order; every "
        "thread counted). "
        "Rule (issue 19): a protocol publish costs no more than the native create: the median "
        "of its per-run ratios to the native's instructions per request ≤ 1.00 (a run can "
        "catch a WAL checkpoint or a periodic check in its window).",
        "",
        "| path | instructions/request (per run) | ratio to native (per run; median) | cost ≤ native |",
        "| --- | --- | --- | --- |",
    ]
    for name in PATHS:
        row = result[name]
        counts = " / ".join(f"{c:,}" for c in row["instructions_per_request"])
        if name == "native":
            lines.append(f"| {name} | {counts} | 1.00 | — |")
            continue
        ratios = " / ".join(f"{r:.3f}" for r in row["ratios"]) + f"; {row['ratio_median']:.3f}"
        verdict = "—" if name == REFERENCE else ("met" if row["met"] else "**not met**")
        lines.append(f"| {name} | {counts} | {ratios} | {verdict} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60, help="creates per path per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="move callgrind's dumps to this directory")
    args = parser.parse_args()
    if not available():
        raise SystemExit("valgrind (callgrind) is not installed")
    start = time.monotonic()
    result = run_server(
        requests=args.requests, runs=args.runs, warmup=args.warmup, keep=args.keep
    )
    result["seconds"] = round(time.monotonic() - start, 1)
    print("\n".join(markdown(result)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
