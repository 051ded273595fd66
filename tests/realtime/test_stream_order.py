"""A user's live stream: every socket gets new notifications in the order of their stream
positions, once each, even when live events arrive out of order, twice, or never (their
publisher died between commit and publish), and a resume from any id loses nothing.

In-process (the gateway ``wakedock serve`` runs, without Uvicorn), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import UserFactory, UserHandle
from tests.realtime.conftest import websocket_scope
from wakedock.gateway import Gateway
from wakedock.notifications import events, sending
from wakedock.notifications.models import Notification
from wakedock.notifications.schemas import NotificationCreate


class Socket:
    def __init__(self, outgoing: asyncio.Queue[dict[str, Any]]) -> None:
        self.outgoing = outgoing

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        message = await asyncio.wait_for(self.outgoing.get(), timeout)
        assert message["type"] == "websocket.send", message
        received: dict[str, Any] = json.loads(message["text"])
        return received

    async def notifications(self, count: int) -> list[tuple[int, int]]:
        """The next ``count`` notifications as (id, seq), skipping other events."""
        got: list[tuple[int, int]] = []
        while len(got) < count:
            event = await self.receive()
            if event["type"] == "notification":
                got.append((event["notification"]["id"], event["seq"]))
        return got

    async def quiet(self, seconds: float) -> None:
        """Nothing more arrives for ``seconds``."""
        try:
            extra = await asyncio.wait_for(self.outgoing.get(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {extra}")


@asynccontextmanager
async def socket(app: Any, user: UserHandle, query: str = "") -> AsyncIterator[Socket]:
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await incoming.put({"type": "websocket.connect"})
    token = user.headers["Authorization"].split()[1]
    scope = websocket_scope(user.id, f"token={token}{query}")
    task = asyncio.create_task(Gateway(app)(scope, incoming.get, outgoing.put))
    ws = Socket(outgoing)
    assert (await asyncio.wait_for(outgoing.get(), 5))["type"] == "websocket.accept"
    assert (await ws.receive())["type"] == "hello"
    try:
        yield ws
    finally:
        await incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(task, 5)


async def stored_unpublished(app: Any, user: UserHandle, title: str) -> Notification:
    """Create and commit a notification as POST /api/notifications does, without the publish
    that follows the commit (as when the server dies in between)."""
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session:
        content, _ = await sending.content_from_request(
            session, body=NotificationCreate(title=title), now=now, source="test"
        )
        created = await sending.deliver(
            session, user_ids=[user.id], content=content, now=now, sender_id=user.id
        )
        await session.commit()
    [notification] = created.live
    return notification


async def post(client: httpx.AsyncClient, user: UserHandle, title: str) -> int:
    response = await client.post("/api/notifications", json={"title": title}, headers=user.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_a_live_event_that_never_comes_is_read_from_the_database(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    async with socket(app, user) as ws:
        lost = await stored_unpublished(app, user, "its publisher died")
        after = await post(client, user, "published")
        # The socket holds "published" back for the missing position, then reads it.
        assert await ws.notifications(2) == [(lost.id, 1), (after, 2)]
        later = await post(client, user, "next")
        assert await ws.notifications(1) == [(later, 3)]


async def test_out_of_order_and_repeated_live_events_go_out_in_order_once(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    async with socket(app, user) as ws:
        first = await stored_unpublished(app, user, "first")
        second = await stored_unpublished(app, user, "second")
        broker = app.state.broker
        # Commits returned in one order, publishes went out in the other.
        await events.created(broker, [second])
        await events.created(broker, [first])
        await events.created(broker, [second])  # and once more (a retried publish)
        assert await ws.notifications(2) == [(first.id, 1), (second.id, 2)]
        third = await post(client, user, "third")
        assert await ws.notifications(1) == [(third, 3)]
        await ws.quiet(0.3)


async def test_concurrent_creates_reach_the_socket_in_stream_order(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """On PostgreSQL the creates run in concurrent transactions: their commits (and publishes)
    interleave, and the socket still sends positions 1..N in order, ids growing with them."""
    user = await make_user()
    count = 40
    async with socket(app, user) as ws:
        ids = await asyncio.gather(*(post(client, user, f"n{i}") for i in range(count)))
        got = await ws.notifications(count)
        assert [seq for _, seq in got] == list(range(1, count + 1))
        assert [nid for nid, _ in got] == sorted(ids)
        await ws.quiet(0.3)


async def test_resuming_from_a_deleted_notification_loses_nothing(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    first = await post(client, user, "one")
    seen = await post(client, user, "two")
    third = await post(client, user, "three")
    deleted = await client.delete(f"/api/notifications/{seen}", headers=user.headers)
    assert deleted.status_code == 204, deleted.text
    async with socket(app, user, f"&since={seen}") as ws:
        assert await ws.notifications(1) == [(third, 3)]
        await ws.quiet(0.3)
    async with socket(app, user, f"&since={first}") as ws:
        assert await ws.notifications(1) == [(third, 3)]


async def test_a_resume_from_another_users_id_sends_only_your_own(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice, bob = await make_user(), await make_user()
    await post(client, bob, "bob 1")
    alice_id = await post(client, alice, "alice's")
    bob_second = await post(client, bob, "bob 2")
    async with socket(app, bob, f"&since={alice_id}") as ws:
        # Alice's id says nothing of Bob's stream but where it stood at that id.
        assert await ws.notifications(1) == [(bob_second, 2)]
        await ws.quiet(0.3)
