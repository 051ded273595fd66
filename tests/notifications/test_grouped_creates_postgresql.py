"""On PostgreSQL, creates to one user that arrive while one of theirs is being written are
written together after it (``db.group_commit`` lanes): every one stored, answered on its own,
positions gap-free in commit order, an idempotency duplicate answered with the original, and a
create that cannot be stored failing alone. The ledger row is held by another transaction, as a
slow create in flight would hold it, so that the burst queues behind it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import UserFactory, assert_error, statements_sent, until
from tests.notifications.test_quiet_hours import Listener, replayed
from wakedock.notifications import sending

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture
def inserts(app: Any) -> Iterator[list[str]]:
    with statements_sent(app, "INSERT INTO notifications ") as seen:
        yield seen


@contextlib.asynccontextmanager
async def ledger_held(app: Any, user_id: int) -> AsyncIterator[None]:
    """Hold the user's ledger row (``notification_user_state``) until the block ends."""
    async with app.state.engine.connect() as holder:
        row = await holder.execute(
            text("SELECT 1 FROM notification_user_state WHERE user_id = :id FOR UPDATE"),
            {"id": user_id},
        )
        assert row.one()
        yield
        await holder.commit()


async def burst(
    app: Any,
    client: httpx.AsyncClient,
    bodies: list[tuple[dict[str, Any], dict[str, str]]],
    *,
    alone: int = 0,
) -> list[asyncio.Task[httpx.Response]]:
    """Post the first create (it waits for the held row), then the rest: they wait for it,
    except ``alone`` of them (idempotent creates, written on their own), which wait for the
    row too."""
    engine = app.state.engine
    post = client.post
    first = asyncio.create_task(post("/api/notifications", json=bodies[0][0], headers=bodies[0][1]))
    await until(lambda: _lock_waits(app), what="the first create waiting for the ledger row")
    rest = [
        asyncio.create_task(post("/api/notifications", json=body, headers=headers))
        for body, headers in bodies[1:]
    ]
    await until(
        lambda: sending._CREATES.waiting(engine) + sum(t.done() for t in rest) >= len(rest) - alone,
        what=f"{len(rest) - alone} creates waiting for the first",
    )
    await until(
        lambda: _lock_waits(app, at_least=1 + alone), what=f"{alone} more waiting for the row"
    )
    return [first, *rest]


async def _lock_waits(app: Any, at_least: int = 1) -> bool:
    async with app.state.engine.connect() as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(waiting or 0) >= at_least


async def stream_of(app: Any, user_id: int) -> list[tuple[int, int | None]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, seq FROM notifications WHERE user_id = :id ORDER BY id"),
            {"id": user_id},
        )
        return [(int(nid), seq) for nid, seq in rows]


async def test_fifty_concurrent_creates_to_one_user_commit_together_in_order(
    app: Any,
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    inserts: list[str],
) -> None:
    alice = await make_user()
    first = await client.post("/api/notifications", json={"title": "before"}, headers=alice.headers)
    assert first.status_code == 201, first.text
    bodies = [({"title": f"n{i}", "data": {"i": i}}, alice.headers) for i in range(50)]
    async with Listener(app, alice.id) as live:
        inserts.clear()
        async with ledger_held(app, alice.id):
            tasks = await burst(app, client, bodies)
            assert not any(task.done() for task in tasks)
        responses = [await task for task in tasks]
        events = await live.settle()
    assert [r.status_code for r in responses] == [201] * 50
    # Each request got its own notification.
    answered = [r.json() for r in responses]
    assert [a["title"] for a in answered] == [f"n{i}" for i in range(50)]
    assert [a["data"] for a in answered] == [{"i": i} for i in range(50)]
    assert len({a["id"] for a in answered}) == 50
    # The first went alone; the 49 that waited for it went as one multi-row INSERT.
    assert len(inserts) == 2
    # Positions 1..51 with no gap, in id order (ids are allocated under the lock, so in
    # commit order); the queued ones in the order their reads finished.
    stream = await stream_of(app, alice.id)
    assert [seq for _, seq in stream] == list(range(1, 52))
    assert [nid for nid, _ in stream[1:]] == sorted(a["id"] for a in answered)
    assert stream[1][0] == answered[0]["id"]  # the first, written alone, came first
    # Live events in position order, each once; a resume from before gives the same.
    pushed = [e["notification"]["id"] for e in events if e["type"] == "notification"]
    assert pushed == [nid for nid, _ in stream[1:]]
    assert await replayed(app, alice.id, since=0) == [nid for nid, _ in stream]
    # One audit entry per create, naming its own notification.
    page = (
        await client.get("/api/audit?action=notification.create&limit=100", headers=admin_headers)
    ).json()
    audited = sorted(e["details"]["ids"][0] for e in page["items"])
    assert audited == [nid for nid, _ in stream]


async def test_an_idempotency_duplicate_in_a_burst_is_answered_with_the_original(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    assert (
        await client.post("/api/notifications", json={"title": "before"}, headers=alice.headers)
    ).status_code == 201
    bodies: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"title": f"n{i}"}, alice.headers) for i in range(10)
    ]
    bodies[3] = ({"title": "once", "idempotency_key": "deploy-1"}, alice.headers)
    bodies[6] = ({"title": "once", "idempotency_key": "deploy-1"}, alice.headers)
    async with ledger_held(app, alice.id):
        tasks = await burst(app, client, bodies, alone=2)
    responses = [await task for task in tasks]
    # One of the two stored it (201), the other is its replay (200, the same notification).
    assert sorted(responses[i].status_code for i in (3, 6)) == [200, 201]
    assert [r.status_code for i, r in enumerate(responses) if i not in (3, 6)] == [201] * 8
    assert responses[3].json()["id"] == responses[6].json()["id"]
    stream = await stream_of(app, alice.id)
    assert len(stream) == 1 + 9  # the duplicate stored nothing
    assert [seq for _, seq in stream] == list(range(1, 11))
    other_ids = {r.json()["id"] for i, r in enumerate(responses) if i not in (3, 6)}
    assert len(other_ids) == 8


async def test_a_create_that_cannot_be_stored_fails_alone_in_its_batch(
    app: Any,
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    inserts: list[str],
) -> None:
    alice = await make_user()
    operator = await make_user(role="operator")
    made = await client.post(
        "/api/notifications/channels",
        json={"name": "ops-hook", "type": "webhook", "config": {"url": "http://127.0.0.1:9/h"}},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    assert (
        await client.post(
            "/api/notifications",
            json={"title": "before", "user_id": alice.id},
            headers=operator.headers,
        )
    ).status_code == 201
    bodies = [({"title": f"n{i}", "user_id": alice.id}, operator.headers) for i in range(6)]
    bodies[3] = (
        {"title": "to ops", "user_id": alice.id, "channels": ["ops-hook"]},
        operator.headers,
    )
    async with ledger_held(app, alice.id):
        tasks = await burst(app, client, bodies)
        # The channel goes after the create checked it, before it is stored: its queue row
        # refers to a channel no longer there.
        async with app.state.engine.begin() as conn:
            await conn.execute(text("DELETE FROM notification_channels WHERE name = 'ops-hook'"))
    responses = [await task for task in tasks]
    lost = responses.pop(3)
    assert [r.status_code for r in responses] == [201] * 5
    error = assert_error(lost, 422, "validation_error")
    assert "ops-hook" in error["message"]
    # The batch's neighbours were stored one by one after the batch failed: no gap, no loss.
    stream = await stream_of(app, alice.id)
    assert [seq for _, seq in stream] == list(range(1, 7))
    assert [nid for nid, _ in stream[1:]] == sorted(r.json()["id"] for r in responses)
