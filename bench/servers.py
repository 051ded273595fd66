"""The servers a scenario measures: a migrated database, ``wakedock serve`` and (when wanted) the
raw ``websockets`` baseline, each its own process, stopped when the scenario ends.

Every scenario started them the same way (a temporary data dir, SQLite in it or a wiped
PostgreSQL database, a free port, the server's environment); this is that way, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


async def reset_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from wakedock.db.engine import create_engine

    if "bench" not in (make_url(url).database or ""):
        raise SystemExit("refusing to wipe a database whose name does not contain 'bench'")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def migrated(prefix: str, database_url: str | None = None) -> tuple[Path, str]:
    """A new temporary directory and a migrated database: SQLite inside that directory, or
    ``database_url`` (PostgreSQL) wiped first. Returns (directory, database URL)."""
    from wakedock.db import migrate

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    else:
        asyncio.run(reset_database(database_url))
    migrate.upgrade(database_url)
    return workdir, database_url


@dataclass(frozen=True)
class Running:
    """Where the started servers answer, and their processes (for CPU and memory)."""

    port: int
    pid: int
    raw_port: int | None
    raw_pid: int | None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def raw_ws(self) -> str:
        return f"ws://127.0.0.1:{self.raw_port}/"


@contextlib.contextmanager
def running(
    workdir: Path,
    database_url: str,
    *,
    raw: bool = True,
    redis_url: str | None = None,
    serve_args: Sequence[str] = (),
    wrapper: Sequence[str] = (),
    env: dict[str, str] | None = None,
    start_timeout: float = 60,
    stop_timeout: float = 30,
) -> Iterator[Running]:
    """``wakedock serve`` on ``database_url`` (its log in ``workdir/server.log``) and, with
    ``raw``, the raw baseline; stopped on leaving. ``wrapper``: a command the server runs
    under (valgrind); ``env``: settings beside the ones every scenario uses (quiet logs, no
    heartbeats inside a measurement, room for a burst in each socket's queue)."""
    settings = {
        **os.environ,
        "WAKEDOCK_DATA_DIR": str(workdir),
        "WAKEDOCK_DATABASE_URL": database_url,
        "WAKEDOCK_LOG_LEVEL": "WARNING",
        "WAKEDOCK_HEARTBEAT_INTERVAL_SECONDS": "300",
        "WAKEDOCK_SOCKET_QUEUE_SIZE": "5000",
        **(env or {}),
    }
    settings.pop("WAKEDOCK_REDIS_URL", None)
    if redis_url is not None:
        settings["WAKEDOCK_REDIS_URL"] = redis_url
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (this interpreter, the bench's own arguments)
        [*wrapper, sys.executable, "-m", "wakedock", "serve", "--port", str(port), *serve_args],
        env=settings,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("wb"),
    )
    baseline = None
    raw_port = free_port() if raw else None
    if raw_port is not None:
        baseline = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.raw_server", str(raw_port)],
            cwd=ROOT.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", timeout=start_timeout)
        if raw_port is not None:
            wait_port(raw_port)
        yield Running(port, server.pid, raw_port, baseline.pid if baseline else None)
    finally:
        server.terminate()
        if baseline is not None:
            baseline.terminate()
        server.wait(stop_timeout)
        if baseline is not None:
            baseline.wait(30)
