"""Failures of the real-time side's background work are logged, never swallowed, and every
background task is referenced until it ends (issue 23, item 5: the hub hid three failures and a
connection's close task could be collected mid-flight)."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, datetime
from typing import cast

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import free_port
from wakedock.broker import create_broker
from wakedock.broker.backends.memory import MemoryBroker
from wakedock.clock import Clock, FrozenClock
from wakedock.notifications import events
from wakedock.notifications.stream import Standing
from wakedock.realtime import connection as connection_module
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub
from wakedock.realtime.tasks import TaskSet, cancel_and_wait
from wakedock.realtime.websocket import _Socket


def errors(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


async def test_a_task_set_holds_each_task_until_done_and_logs_its_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = TaskSet("the test's")
    release = asyncio.Event()

    async def waits() -> None:
        await release.wait()

    async def fails() -> None:
        await release.wait()
        raise ValueError("boom")

    tasks.spawn(waits())
    tasks.spawn(fails())
    gc.collect()  # nothing else refers to them: the set keeps them alive
    assert len(tasks) == 2
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(tasks) == 0
    assert errors(caplog, logging.ERROR) == ["background task failed (the test's)"]
    assert "ValueError: boom" in caplog.text


async def test_cancel_and_wait_logs_what_a_cancelled_task_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def refuses() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    task = asyncio.get_running_loop().create_task(refuses())
    await asyncio.sleep(0)
    await cancel_and_wait(task, "the refusing task")
    assert errors(caplog) == ["the refusing task failed while being cancelled"]

    caplog.clear()
    quiet = asyncio.get_running_loop().create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    await cancel_and_wait(quiet, "a quiet task")
    assert quiet.cancelled()
    assert errors(caplog) == []


async def test_a_connections_close_is_kept_until_it_ends() -> None:
    release = asyncio.Event()
    closed: list[int] = []

    async def send(text: str, _: int | None) -> None:
        pass

    async def close(code: int, reason: str) -> None:
        await release.wait()
        closed.append(code)

    conn = Connection(user_id=1, send=send, close=close)
    before = len(connection_module._closing)
    conn.shut(4401, "revoked")
    del conn
    gc.collect()
    assert len(connection_module._closing) == before + 1
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert closed == [4401]
    assert len(connection_module._closing) == before


async def test_a_failed_write_is_logged_and_closes_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        raise ConnectionResetError("peer gone")

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    conn = Connection(user_id=7, send=send, close=close)
    conn.offer("m", None)
    for _ in range(5):
        await asyncio.sleep(0)
    assert closed == [(1011, "write failed")]
    [message] = errors(caplog)
    assert "user 7's connection" in message
    assert "peer gone" in message


async def test_a_close_that_fails_unexpectedly_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def receive() -> dict[str, str]:
        raise AssertionError("not read")

    async def gone(message: object) -> None:
        raise OSError("the client left")  # the usual case: nothing to report

    await _Socket(receive, gone).shut(4401, "revoked")  # type: ignore[arg-type]
    assert errors(caplog) == []

    async def broken(message: object) -> None:
        raise ValueError("a bug")

    await _Socket(receive, broken).shut(4401, "revoked")  # type: ignore[arg-type]
    assert errors(caplog) == ["could not close a notification socket (4401 revoked)"]


async def test_a_failed_periodic_credentials_check_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No database behind this hub: the check fails every time it runs.
    hub = Hub(
        broker=MemoryBroker(),
        sessionmaker=cast(async_sessionmaker[AsyncSession], None),
        clock=Clock(),
        heartbeat_interval=0.02,
        revalidate_interval=0.0,
    )

    async def send(text: str, _: int | None) -> None:
        pass

    async def close(code: int, reason: str) -> None:
        pass

    hub.register(Connection(user_id=1, send=send, close=close))
    housekeeping = asyncio.get_running_loop().create_task(hub.housekeeping())
    try:
        async with asyncio.timeout(5):
            while not errors(caplog):
                await asyncio.sleep(0.01)
    finally:
        await cancel_and_wait(housekeeping, "housekeeping")
    assert errors(caplog)[0] == "could not check the sockets' credentials against the database"


async def test_a_lost_preferences_change_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    broker = create_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    await broker.connect()
    try:
        await events.preferences_changed(broker, user_id=42)  # still answers: best effort
    finally:
        await broker.disconnect()
    [message] = errors(caplog)
    assert message.startswith("could not publish _prefs event for user 42")


async def test_the_hello_is_one_message_for_both_transports() -> None:
    hub = Hub(
        broker=MemoryBroker(),
        sessionmaker=cast(async_sessionmaker[AsyncSession], None),
        clock=FrozenClock(datetime(2026, 3, 1, 12, tzinfo=UTC)),
        heartbeat_interval=12.5,
    )

    async def send(text: str, _: int | None) -> None:
        pass

    conn = Connection(user_id=3, send=send, close=send)  # type: ignore[arg-type]
    standing = Standing(unread=4, floor=0, after=0, newest=9)
    assert orjson.loads(hub.hello(conn, standing)) == {
        "type": "hello",
        "server_time": "2026-03-01T12:00:00+00:00",
        "user_id": 3,
        "connection_id": conn.id,
        "unread_count": 4,
        "heartbeat_interval": 12.5,
    }
