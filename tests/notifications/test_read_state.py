"""Read state has one way in: ``notifications.service.set_read`` marks, commits, then publishes.

Multi-device sync rests on the ``read``/``unread`` event reaching the user's other devices. It
was published by each caller after marking (the REST routes, the WebSocket's control messages,
auto-read, the dashboards' quick action): a new caller that forgot it left the other devices
with a stale unread count. Now the service publishes, once the change is committed.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from tests.conftest import UserFactory
from tests.dashboards.conftest import add_widget, create_layout
from wakedock.audit.context import AuditActor
from wakedock.broker import Subscription
from wakedock.broker.backends.memory import MemoryBroker
from wakedock.notifications import service
from wakedock.notifications.events import user_channel
from wakedock.notifications.models import Notification

SRC = Path(__file__).resolve().parents[2] / "src" / "wakedock"


def test_only_the_service_publishes_read_state() -> None:
    """No module but the service publishes ``read_state`` (or marks rows read itself)."""
    callers = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func_node = node.func
                name = getattr(func_node, "attr", None) or getattr(func_node, "id", None)
                if name == "read_state":
                    callers.append(path.relative_to(SRC).as_posix())
    assert sorted(set(callers)) == ["notifications/service.py"]


class CommittedProbe(MemoryBroker):
    """A memory broker that, for every publish, reads the user's unread count in a session
    of its own: what another device would see at that moment."""

    def __init__(self, sessionmaker: Any) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.seen: list[tuple[dict[str, Any], int]] = []

    async def publish(self, channel: str, payload: bytes) -> None:
        user_id = int(channel.split(":")[1])
        async with self.sessionmaker() as session:
            unread = await session.scalar(
                select(func.count()).where(
                    Notification.user_id == user_id, Notification.read.is_(False)
                )
            )
        self.seen.append((orjson.loads(payload), int(unread or 0)))
        await super().publish(channel, payload)


async def _notify(client: httpx.AsyncClient, headers: dict[str, str], title: str) -> int:
    response = await client.post("/api/notifications", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_set_read_publishes_after_commit(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    first = await _notify(client, user.headers, "one")
    second = await _notify(client, user.headers, "two")
    probe = CommittedProbe(app.state.sessionmaker)
    actor = AuditActor(user.id, None, None, "test")
    async with app.state.sessionmaker() as session:
        result = await service.mark_read(
            session, actor=actor, user_id=user.id, ids=[first], broker=probe
        )
        assert result.ids == [first]
        # Nothing changed (already read, someone else's id): nothing published.
        await service.mark_read(session, actor=actor, user_id=user.id, ids=[first], broker=probe)
        await service.mark_read(session, actor=actor, user_id=user.id, ids=[], broker=probe)
        await service.set_read(
            session,
            actor=actor,
            user_id=user.id,
            ids=[second + 1000],
            read=False,
            now=app.state.clock.now(),
            broker=probe,
            action="notification.unread",
        )
        await service.mark_all_read(session, actor=actor, user_id=user.id, broker=probe)
    # Each event went out once the change was visible to another session.
    assert probe.seen == [
        ({"type": "read", "ids": [first], "unread_count": 1}, 1),
        ({"type": "read", "ids": [second], "unread_count": 0}, 0),
    ]


async def _next(subscription: Subscription) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        async for _channel, payload in subscription:
            message: dict[str, Any] = orjson.loads(payload)
            return message
        raise AssertionError("subscription ended")

    return await asyncio.wait_for(first(), timeout=5)


@pytest.fixture
async def events_of(app: Any) -> AsyncIterator[Any]:
    """``events_of(user_id)``: a subscription to that user's channel on the app's broker."""
    broker = app.state.broker
    stack: list[Any] = []

    async def subscribe(user_id: int) -> Subscription:
        manager = broker.subscribe(user_channel(user_id))
        stack.append(manager)
        subscription: Subscription = await manager.__aenter__()
        return subscription

    yield subscribe
    for manager in reversed(stack):
        await manager.__aexit__(None, None, None)


async def test_every_way_in_publishes_read_state(
    client: httpx.AsyncClient, make_user: UserFactory, events_of: Any
) -> None:
    """REST read, unread and read-all, and the dashboards' quick action: one event each."""
    user = await make_user()
    first = await _notify(client, user.headers, "one")
    second = await _notify(client, user.headers, "two")
    events = await events_of(user.id)
    base = "/api/notifications"

    assert (await client.post(f"{base}/{first}/read", headers=user.headers)).status_code == 200
    assert await _next(events) == {"type": "read", "ids": [first], "unread_count": 1}
    assert (await client.post(f"{base}/{first}/unread", headers=user.headers)).status_code == 200
    assert await _next(events) == {"type": "unread", "ids": [first], "unread_count": 2}
    # Unread again: nothing changed, nothing published (the next event is read-all's).
    assert (await client.post(f"{base}/{first}/unread", headers=user.headers)).status_code == 200
    read_all = await client.post(f"{base}/read-all", headers=user.headers)
    assert read_all.json() == {"count": 2}
    assert await _next(events) == {"type": "read", "ids": [first, second], "unread_count": 0}

    third = await _notify(client, user.headers, "three")
    assert (await _next(events))["type"] == "notification"
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client,
        user.headers,
        layout["id"],
        "quick_actions",
        config={"actions": [{"label": "Read all", "action": "mark_all_read"}]},
    )
    run = await client.post(
        f"/api/dashboards/widgets/{widget['id']}/actions/0", headers=user.headers
    )
    assert run.json()["result"] == {"count": 1, "unread_count": 0}
    assert await _next(events) == {"type": "read", "ids": [third], "unread_count": 0}
