"""One process per database when there is no shared broker.

Without ``WAKEDOCK_REDIS_URL`` the broker is in-process: a live event reaches the sockets of the
process that published it and no other. Two ``wakedock serve`` on one database (or a server and
a ``wakedock worker``, which publishes what it releases) would each store every notification and
each push live only its own, and nothing would say so (an SSE client got 3 of 8 live with four
processes). So each of those commands, when it has no shared broker, claims its database for as
long as it runs and refuses to start when another process holds the claim. With a shared broker
nothing is claimed: every process sees every event.

- SQLite: ``flock`` on a file next to the database (``wakedock.db.claim``), held by an open
  descriptor; the kernel releases it when the process ends, however it ends. The file says who
  holds it (command, pid, host, since when); it is not removed on exit (removing it would race
  with the next claimant).
- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``, a fixed key) on a
  connection of its own, opened by a thread that keeps it for the process's lifetime; the
  server releases it when that connection ends. The connection's ``application_name`` says who
  holds it, so the refusal can name it from ``pg_stat_activity``.
- An in-memory SQLite database is the process's own: nothing to claim.

The claim is taken by the CLI's commands, not by the app: tests run several apps in one process
on one database, each with its own in-process broker, on purpose.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import queue
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

# The advisory lock's key: one constant, so every WakeDock version claims the same lock.
CLAIM_KEY = int.from_bytes(
    hashlib.sha256(b"wakedock: one process without a shared broker").digest()[:8],
    "big",
    signed=True,
)
CLAIM_FILE_SUFFIX = ".claim"


class ClaimHeld(Exception):
    """Another process holds the database's claim; ``holder`` says which, as far as known."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


@dataclass
class Claim:
    """Held until ``release()`` or the process's end."""

    _file: IO[bytes] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def describe(command: str) -> str:
    """Who claims: the command, this process, this host, since when."""
    since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{command} (pid {os.getpid()} on {socket.gethostname()}, since {since})"


def claim_database(database_url: str, *, command: str) -> Claim:
    """Claim the database for this process, or raise ``ClaimHeld``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:" or url.query.get("mode") == "memory":
            return Claim()
        return _claim_file(Path(database + CLAIM_FILE_SUFFIX), describe(command))
    return _claim_postgresql(database_url, describe(command))


def _claim_file(path: Path, holder: str) -> Claim:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+b")  # not truncated: a refused claimant must still read the holder
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        known = handle.read(500).decode("utf-8", "replace").strip()
        handle.close()
        raise ClaimHeld(known or f"another process (holding {path})") from None
    handle.truncate(0)
    handle.write(holder.encode() + b"\n")
    handle.flush()
    return Claim(_file=handle)


_HOLDER = text(
    "SELECT a.application_name, host(a.client_addr), a.backend_start"
    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.database = ("
    "   SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid = :high AND l.objid = :low AND l.objsubid = 1"
)


def _claim_postgresql(database_url: str, holder: str) -> Claim:
    claim = Claim()
    outcome: queue.Queue[BaseException | None] = queue.Queue()
    claim._thread = threading.Thread(
        target=lambda: asyncio.run(_hold(database_url, holder, outcome, claim._stop)),
        name="wakedock-database-claim",
        daemon=True,  # it ends with the process, and so does its connection
    )
    claim._thread.start()
    failure = outcome.get(timeout=60)
    if failure is not None:
        claim._thread.join(timeout=10)
        raise failure
    return claim


async def _hold(
    database_url: str,
    holder: str,
    outcome: queue.Queue[BaseException | None],
    stop: threading.Event,
) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    held = False
    try:
        async with engine.connect() as conn:
            # Who holds the lock, for the refusal (application_name: at most 63 bytes).
            await conn.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": holder[:63]},
            )
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": CLAIM_KEY})
            if not got:
                row = (
                    await conn.execute(
                        _HOLDER,
                        {"high": (CLAIM_KEY >> 32) & 0xFFFFFFFF, "low": CLAIM_KEY & 0xFFFFFFFF},
                    )
                ).first()
                await conn.rollback()
                name = row[0] if row and row[0] else "another process"
                where = f", connected from {row[1]}" if row and row[1] else ""
                outcome.put(ClaimHeld(f"{name}{where}"))
                return
            await conn.commit()  # the lock is the session's: no transaction stays open
            held = True
            outcome.put(None)
            waited = 0
            while not stop.is_set():
                await asyncio.sleep(1)
                waited += 1
                if waited % 30 == 0:  # a lost connection is a lost claim: find out
                    await conn.execute(text("SELECT 1"))
                    await conn.commit()
    except Exception as exc:
        if not held:
            outcome.put(exc)
        else:  # held, then lost (the database restarted, say): say so, loudly
            logger.error("the database claim was lost: %s: %s", type(exc).__name__, exc)
    finally:
        await engine.dispose()
