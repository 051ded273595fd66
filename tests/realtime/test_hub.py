"""The hub's dispatch: events in order per user, a user's waiting events in one write per
socket, control messages in their place, and a large fan-out that lets the loop run."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.auth import events as auth_events
from wakedock.broker.backends.memory import MemoryBroker
from wakedock.clock import Clock
from wakedock.realtime import hub as hub_module
from wakedock.realtime.connection import Batch, Connection, Message, text_frame
from wakedock.realtime.hub import Hub


def event(notification_id: int) -> bytes:
    return orjson.dumps({"type": "notification", "notification": {"id": notification_id}})


def make_hub(broker: MemoryBroker | None = None) -> Hub:
    # No database: auto_mark_read is looked up per user, and these users have it off.
    return Hub(
        broker=broker or MemoryBroker(),
        sessionmaker=cast(async_sessionmaker[AsyncSession], None),
        clock=Clock(),
    )


def socket_of(hub: Hub, user_id: int) -> tuple[Connection, list[bytes], list[tuple[int, str]]]:
    writes: list[bytes] = []
    closed: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        raise AssertionError("every write here is a direct one")

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    def write_now(message: Message | Batch) -> bool:
        writes.append(message.frame)
        return True

    conn = Connection(user_id=user_id, send=send, close=close, write_now=write_now)
    hub.register(conn)
    hub.auto_read.wanted[user_id] = False
    return conn, writes, closed


def frames(*ids: int) -> bytes:
    return b"".join(text_frame(event(i)) for i in ids)


async def test_a_batch_keeps_each_users_order_and_writes_once_per_run() -> None:
    hub = make_hub()
    one, one_writes, one_closed = socket_of(hub, 1)
    one.session_id = "s1"
    _, two_writes, _ = socket_of(hub, 2)
    revoke = auth_events.encode(auth_events.SessionsRevoked(user_id=1, reason="session revoked"))
    await hub.dispatch(
        [
            ("user:1", event(10)),
            ("user:2", event(11)),
            ("user:1", event(12)),
            ("auth", revoke),
            ("user:1", event(13)),  # after the revocation: never reaches the closed socket
            ("user:3", event(14)),  # nobody connected
            ("nonsense", b"{}"),
        ]
    )
    await asyncio.sleep(0)
    assert one_writes == [frames(10, 12)]
    assert one_closed == [(4401, "session revoked")]
    assert two_writes == [frames(11)]


async def test_events_that_arrive_together_go_out_together() -> None:
    broker = MemoryBroker()
    hub = make_hub(broker)
    _, writes, _ = socket_of(hub, 1)
    runner = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.ready.wait(), 5)
    for notification_id in (1, 2, 3):
        await broker.publish("user:1", event(notification_id))  # no await point in between
    for _ in range(20):
        await asyncio.sleep(0)
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    assert writes[0] == frames(1, 2, 3)


async def test_a_large_fan_out_lets_the_loop_run_between_slices() -> None:
    hub = make_hub()
    count = hub_module.FANOUT_SLICE * 2 + 1
    sockets = [socket_of(hub, 1)[1] for _ in range(count)]
    seen: list[int] = []

    async def meanwhile() -> None:
        seen.append(sum(1 for writes in sockets if writes))

    other = asyncio.create_task(meanwhile())
    await hub.dispatch([("user:1", event(1))])
    await other
    assert 0 < seen[0] < count  # it ran during the fan-out, not before or after it
    assert all(writes == [frames(1)] for writes in sockets)
