"""The hub's dispatch: events in order per user, a user's waiting events in one write per
socket, control messages in their place, and a large fan-out that lets the loop run."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.auth import events as auth_events
from wakedock.broker.backends.memory import MemoryBroker
from wakedock.clock import Clock
from wakedock.notifications import events
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


def _copy(notification_id: int, user_id: int, seq: int) -> Any:
    """A stored copy as ``events.copies`` reads it (the attributes a row has)."""
    return SimpleNamespace(
        id=notification_id, user_id=user_id, seq=seq, type="info", priority="normal",
        title="Maintenance", message="tonight", data={"k": "é"}, action_url=None,
        action_label=None, topic=None, resource_id=None, source="broadcast", group_key=None,
        read=False, read_at=None, created_at=datetime(2026, 12, 6, tzinfo=UTC), expires_at=None,
    )  # fmt: skip


async def test_a_page_of_copies_reaches_only_this_processs_users_in_their_order() -> None:
    """A broadcast's page is one broker message (``events.copies``); the hub splices each
    event for the users it holds sockets of, in place among their other events, and each is
    the very event a create to that user alone publishes."""
    hub = make_hub()
    _, one_writes, _ = socket_of(hub, 1)
    _, two_writes, _ = socket_of(hub, 2)
    first = [_copy(100, 1, 1), _copy(101, 2, 1), _copy(102, 3, 1)]
    second = [_copy(103, 1, 2), _copy(104, 2, 2), _copy(105, 3, 2)]
    page = events.copies([first, second])
    assert page is not None
    deleted = orjson.dumps({"type": "notification.deleted", "id": 7})
    await hub.dispatch([("user:1", deleted), (events.COPIES_CHANNEL, page), ("user:2", event(200))])

    def created(row: Any) -> bytes:
        shape = events.notification_payload(row)
        return orjson.dumps({"type": "notification", "seq": row.seq, "notification": shape})

    assert one_writes == [text_frame(deleted) + text_frame(created(first[0])) + text_frame(
        created(second[0])
    )]  # fmt: skip
    assert two_writes == [
        text_frame(created(first[1])) + text_frame(created(second[1])) + text_frame(event(200))
    ]
    assert events.copies([[], []]) is None


def test_a_notification_event_is_read_from_its_head_as_a_full_decode_reads_it() -> None:
    row = _copy(42, 9, 17)
    payload = orjson.dumps(
        {"type": "notification", "seq": 17, "notification": events.notification_payload(row)}
    )
    fast = hub_module._event(payload)
    assert isinstance(fast, Message)
    assert (fast.notification_id, fast.seq, fast.data) == (42, 17, payload)
    unpositioned = orjson.dumps({"type": "notification", "seq": None, "notification": {"id": 5}})
    held = hub_module._event(unpositioned)
    assert isinstance(held, Message)
    assert (held.notification_id, held.seq) == (5, None)
    # Other events are decoded; a control message is handed back as its content.
    other = hub_module._event(orjson.dumps({"type": "read", "ids": [1], "unread_count": 0}))
    assert isinstance(other, Message)
    assert other.notification_id is None
    assert hub_module._event(b'{"type":"_prefs"}') == {"type": "_prefs"}
    # A title that looks like a head changes nothing: the head is matched at the start only.
    tricky = orjson.dumps({"type": "read", "title": '{"type":"notification","seq":1,'})
    assert isinstance(hub_module._event(tricky), Message)
    assert hub_module._event(tricky).notification_id is None  # type: ignore[union-attr]
