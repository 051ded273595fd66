"""The create path's per-request costs, in process: what each layer adds to one create.

``python -m bench.hotpath [--creates N] [--rounds R]`` builds the app on a fresh SQLite file,
puts ``wakedock serve``'s gateway in front of it and sends ``POST /api/notifications`` through
httpx's ASGI transport (no sockets: what is measured is the server's own work plus the
transport's, the same in every variant). The variants run in interleaved rounds in one process,
so load on the machine hits them alike, each first in turn; the figures are the medians of the rounds' mean
microseconds a create:

- ``gateway``: as served;
- ``no request id``: the gateway without its request-id layer;
- ``no audit check``: the audit registry check (``audit.actions.check``) made a no-op.

Then the layers alone, on a no-op ASGI app (microseconds a call): the request-id middleware,
the audit check; and how many log records the server writes a create at INFO.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from wakedock.audit import actions as audit_actions
from wakedock.audit import service as audit_service
from wakedock.audit.actions import AuditAction
from wakedock.db import migrate
from wakedock.gateway import Gateway
from wakedock.log import QUIET_LOGGERS
from wakedock.main import create_app
from wakedock.request_id import RequestIdMiddleware
from wakedock.settings import Settings

PASSWORD = "bench-admin-password-1"


async def _noop_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _layer_micro(calls: int) -> dict[str, float]:
    """Microseconds a call: the request-id layer around a no-op app, versus the app alone."""
    wrapped = RequestIdMiddleware(_noop_app)

    async def sent(_: Any) -> None:
        return None

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    def scope() -> dict[str, Any]:
        return {"type": "http", "method": "POST", "path": "/api/notifications", "headers": []}

    async def run(app: Callable[..., Any]) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            await app(scope(), receive, sent)
        return (time.perf_counter() - start) / calls * 1e6

    async def both() -> tuple[float, float]:
        bare, layered = [], []
        for _ in range(5):
            bare.append(await run(_noop_app))
            layered.append(await run(wrapped))
        return statistics.median(bare), statistics.median(layered)

    bare, layered = asyncio.run(both())
    details = {"count": 1, "ids": [1], "type": None}
    check = timeit.timeit(
        lambda: audit_actions.check(AuditAction.NOTIFICATION_READ, "notification", details),
        number=calls,
    )
    return {
        "no-op app, us/call": bare,
        "request-id layer + no-op app, us/call": layered,
        "request-id layer alone, us/call": layered - bare,
        "audit check, us/call": check / calls * 1e6,
    }


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records = 0

        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        self.names.add(f"{record.name}: {record.msg}")


async def _creates(settings: Settings, creates: int, rounds: int, profile: bool) -> dict[str, Any]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        as_served = Gateway(app)
        no_request_id = Gateway(app)
        no_request_id.dispatch = no_request_id._route
        transports = {
            "gateway": httpx.ASGITransport(app=as_served),
            "no request id": httpx.ASGITransport(app=no_request_id),
            "no audit check": httpx.ASGITransport(app=as_served),
        }
        clients = {
            name: httpx.AsyncClient(transport=t, base_url="http://bench.test")
            for name, t in transports.items()
        }
        login = await clients["gateway"].post(
            "/api/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        body = {"title": "bench", "message": "hot path", "type": "info"}
        real_check = audit_service.check

        async def timed(name: str, count: int) -> float:
            client = clients[name]
            if name == "no audit check":
                audit_service.check = lambda *a, **k: None  # type: ignore[assignment]
            try:
                start = time.perf_counter()
                for _ in range(count):
                    answer = await client.post("/api/notifications", json=body, headers=headers)
                    assert answer.status_code == 201, answer.text
                    assert answer.headers.get("x-request-id") or name == "no request id"
                return (time.perf_counter() - start) / count * 1e6
            finally:
                audit_service.check = real_check

        for name in clients:  # warm up every path
            await timed(name, 20)
        per_round: dict[str, list[float]] = {name: [] for name in clients}
        names = list(clients)
        for turn in range(rounds):  # each variant first in turn: no order favours one
            for name in names[turn % 3 :] + names[: turn % 3]:
                per_round[name].append(await timed(name, creates))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            await timed("gateway", creates)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)

        counter = _Counter()
        counter.addFilter(lambda record: not record.name.startswith(QUIET_LOGGERS))
        root = logging.getLogger()
        level = root.level
        root.addHandler(counter)
        root.setLevel(logging.INFO)
        try:
            await timed("gateway", 50)
        finally:
            root.removeHandler(counter)
            root.setLevel(level)
        for client in clients.values():
            await client.aclose()
        result: dict[str, Any] = {
            f"{name}, us/create (median of {rounds} rounds)": statistics.median(values)
            for name, values in per_round.items()
        }
        gateway = per_round["gateway"]
        for name in ("no request id", "no audit check"):
            ratios = [v / g for v, g in zip(per_round[name], gateway, strict=True)]
            result[f"{name} / gateway (median of the rounds' ratios)"] = statistics.median(ratios)
        result["server log records a create makes at INFO"] = counter.records / 50
        for name in sorted(counter.names):
            print("logged at INFO:", name)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=20, help="creates a round and variant")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--calls", type=int, default=50_000, help="calls of each layer alone")
    parser.add_argument("--profile", action="store_true", help="cProfile one round of creates")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            admin_username="admin",
            admin_password=PASSWORD,
            admin_email="admin@example.com",
            log_level="WARNING",
            worker_enabled=False,
        )
        figures = asyncio.run(_creates(settings, args.creates, args.rounds, args.profile))
    figures.update(_layer_micro(args.calls))
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:10.2f}")


if __name__ == "__main__":
    main()
