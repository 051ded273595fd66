"""A subscription's events, as ntfy sends them, whatever the transport (JSON lines, SSE, raw
text, WebSocket: the router formats them).

A poll (``poll=1``) is the cached messages after ``since`` and the end. A live subscription
registers with this process's real-time hub first (``Hub.open``: the one broker subscription,
so a publish on any process reaches it, and the credentials' watch closes it when its token
is revoked or its user disabled), then sends ``open``, then what ``since`` asks for from the
database, then the live notifications on its topics, with a ``keepalive`` whenever nothing
was sent for ``keepalive`` seconds. Registering before reading the database means nothing
published in between is lost; a live event the database read already returned is skipped
(its id is not above the last one sent). A slow reader's backlog stays in the hub
connection's bounded outbox (``send`` waits until the stream has taken each message), which
ends the stream when it overflows, as for WakeDock's own sockets.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

from wakedock.auth.principal import Principal
from wakedock.clock import Clock
from wakedock.compat.ntfy import parse
from wakedock.compat.ntfy.service import Filters, to_message
from wakedock.notifications import feed
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub

_END = object()


def _event(kind: str, topics: Sequence[str], clock: Clock) -> dict[str, Any]:
    return {
        "id": secrets.token_hex(6),
        "time": int(clock.now().timestamp()),
        "event": kind,
        "topic": ",".join(topics),
    }


async def _cached(
    hub: Hub, principal: Principal, topics: Sequence[str], since: parse.Since
) -> list[dict[str, Any]]:
    async with hub.sessionmaker() as session:
        return await feed.on_topics(
            session,
            user_id=principal.user_id,
            topics=topics,
            now=hub.clock.now(),
            after_id=since.after_id,
            since=since.at,
            latest=since.latest,
        )


async def events(
    hub: Hub,
    principal: Principal,
    *,
    topics: Sequence[str],
    since: parse.Since,
    poll: bool,
    filters: Filters,
    keepalive: float,
) -> AsyncIterator[dict[str, Any]]:
    """ntfy's events for this subscription (see the module's docstring)."""
    wanted = set(topics)
    if poll:
        for payload in await _cached(hub, principal, topics, since):
            message = to_message(payload)
            if filters.match(message):
                yield message
        return
    inbox: asyncio.Queue[object] = asyncio.Queue()

    async def send(text: str, notification_id: int | None) -> None:
        if notification_id is not None:
            inbox.put_nowait(text)
            await inbox.join()  # the stream took it: the hub's outbox holds the backlog

    async def close(code: int, reason: str) -> None:
        inbox.put_nowait(_END)

    conn = Connection(
        user_id=principal.user_id,
        send=send,
        close=close,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        max_queue=hub.max_queue,
        max_bytes=hub.max_bytes,
    )
    await hub.ready.wait()
    try:
        await hub.open(conn, since=None)
        yield _event("open", topics, hub.clock)
        last = 0
        if not since.none:
            for payload in await _cached(hub, principal, topics, since):
                last = max(last, payload["id"])
                message = to_message(payload)
                if filters.match(message):
                    yield message
        while True:
            try:
                item = await asyncio.wait_for(inbox.get(), keepalive)
            except TimeoutError:
                conn.last_seen = time.monotonic()  # alive as long as it writes
                yield _event("keepalive", topics, hub.clock)
                continue
            if item is _END:
                return
            conn.last_seen = time.monotonic()
            try:
                assert isinstance(item, str)
                event = orjson.loads(item)
                live = event.get("notification") if event.get("type") == "notification" else None
                if (
                    isinstance(live, dict)
                    and live.get("topic") in wanted
                    and live.get("id", 0) > last
                ):
                    message = to_message(live)
                    if filters.match(message):
                        yield message
            finally:
                inbox.task_done()
    finally:
        hub.unregister(conn)
        await conn.stop()


def json_line(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event) + b"\n"


def sse_frame(event: dict[str, Any]) -> bytes:
    """ntfy's SSE: messages as plain ``data`` with their id, other events named."""
    data = orjson.dumps(event)
    if event["event"] == "message":
        return b"id: %s\ndata: %s\n\n" % (str(event["id"]).encode(), data)
    return b"event: %s\ndata: %s\n\n" % (str(event["event"]).encode(), data)


def raw_line(event: dict[str, Any]) -> bytes:
    """ntfy's raw stream: a message's text on one line, an empty line as keepalive."""
    if event["event"] == "message":
        return " ".join(str(event.get("message", "")).splitlines()).encode() + b"\n"
    if event["event"] == "keepalive":
        return b"\n"
    return b""
