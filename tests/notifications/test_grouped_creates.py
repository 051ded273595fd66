"""Creates that wait for SQLite's write gate together are stored together (db.group_commit) with
the same answers, rows, audit entries and live events as one after the other. On PostgreSQL
nothing holds a gate (creates to one user that overlap are batched there: see
test_grouped_creates_postgresql.py); the same tests check the same outcomes there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import UserFactory, assert_error, statements_sent, until
from tests.notifications.test_quiet_hours import Listener, replayed
from wakedock.db.engine import write_gate
from wakedock.notifications import sending

Gate = Callable[[], AbstractAsyncContextManager[None]]


@pytest.fixture
def inserts(app: Any) -> Iterator[list[str]]:
    """Every INSERT INTO notifications statement the app sends."""
    with statements_sent(app, "INSERT INTO notifications ") as seen:
        yield seen


@pytest.fixture
def gate(app: Any) -> Gate:
    """``async with gate(): ...``: hold the write gate, as a write in progress would."""

    @contextlib.asynccontextmanager
    async def hold() -> AsyncIterator[None]:
        async with app.state.sessionmaker() as holder, write_gate(holder):
            yield

    return hold


async def reached_the_gate(app: Any, tasks: list[asyncio.Task[httpx.Response]]) -> None:
    """Wait until every create has reached the write gate: on SQLite it waits in the group
    commit's queue (or was answered without a write); on PostgreSQL it is answered or waits
    for its lane's write in flight."""
    engine = app.state.engine
    await until(
        lambda: sending._CREATES.waiting(engine) + sum(t.done() for t in tasks) >= len(tasks),
        what=f"{len(tasks)} creates reaching the write gate",
    )


async def post_all(
    app: Any,
    client: httpx.AsyncClient,
    bodies: list[tuple[dict[str, Any], dict[str, str]]],
    *,
    one_by_one: bool = False,
) -> list[asyncio.Task[httpx.Response]]:
    """Start every request and wait until each reaches the gate; ``one_by_one``: each before
    the next starts (so they queue in this order)."""
    tasks: list[asyncio.Task[httpx.Response]] = []
    for body, headers in bodies:
        tasks.append(
            asyncio.create_task(client.post("/api/notifications", json=body, headers=headers))
        )
        if one_by_one:
            await reached_the_gate(app, tasks)
    await reached_the_gate(app, tasks)
    return tasks


async def test_creates_waiting_together_are_answered_and_stored_as_one_after_another(
    app: Any,
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    inserts: list[str],
    gate: Gate,
    backend: str,
) -> None:
    alice, bob = await make_user(), await make_user()
    operator = await make_user(role="operator")
    bodies = [({"title": f"a{i}"}, alice.headers) for i in range(6)]
    bodies += [({"title": f"b{i}", "user_id": bob.id}, operator.headers) for i in range(6)]
    bodies += [({"title": "both", "user_ids": [alice.id, bob.id]}, operator.headers)]
    async with Listener(app, alice.id) as live:
        inserts.clear()
        async with gate():
            tasks = await post_all(app, client, bodies)
            if backend == "sqlite":
                assert not any(task.done() for task in tasks)
        responses = [await task for task in tasks]
        events = await live.settle()
    assert [r.status_code for r in responses] == [201] * 13
    if backend == "sqlite":
        assert len(inserts) == 1  # thirteen creates, one statement
    answered = [r.json() for r in responses]
    assert [a["title"] for a in answered[:12]] == [b["title"] for b, _ in bodies[:12]]
    both = answered[12]["items"]
    assert [n["user_id"] for n in both] == [alice.id, bob.id]

    # They reach the gate in the order their reads finish; ids follow the order they are
    # stored in. Alice's list, her live events and a replay from before them all agree on it,
    # each notification once.
    alice_ids = sorted([a["id"] for a in answered[:6]] + [both[0]["id"]])
    listed = (await client.get("/api/notifications?limit=50", headers=alice.headers)).json()
    assert [n["id"] for n in listed["items"]] == alice_ids[::-1]
    assert [e["notification"]["id"] for e in events if e["type"] == "notification"] == alice_ids
    assert await replayed(app, alice.id, since=0) == alice_ids

    # One audit entry per create, naming what it created.
    page = (
        await client.get("/api/audit?action=notification.create&limit=50", headers=admin_headers)
    ).json()
    audited = sorted(tuple(e["details"]["ids"]) for e in page["items"])
    assert audited == sorted(tuple(n["id"] for n in a.get("items", [a])) for a in answered)


async def test_a_create_replaces_its_group_key_sent_in_the_same_wait(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory, gate: Gate
) -> None:
    alice = await make_user()
    bodies = [
        ({"title": "deploy started", "group_key": "deploy"}, alice.headers),
        ({"title": "unrelated"}, alice.headers),
        ({"title": "deploy finished", "group_key": "deploy"}, alice.headers),
    ]
    async with Listener(app, alice.id) as live:
        async with gate():
            tasks = await post_all(app, client, bodies, one_by_one=True)
        first, _, last = [(await task).json() for task in tasks]
        events = await live.settle()
    listed = (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    assert [n["title"] for n in listed] == ["deploy finished", "unrelated"]
    deleted = [e["id"] for e in events if e["type"] == "notification.deleted"]
    assert deleted == [first["id"]]
    assert last["id"] > first["id"]


async def test_retention_in_one_wait_removes_the_oldest_and_says_so(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory, gate: Gate
) -> None:
    alice = await make_user()
    capped = await client.put(
        "/api/notifications/preferences", json={"max_notifications": 2}, headers=alice.headers
    )
    assert capped.status_code == 200, capped.text
    async with Listener(app, alice.id) as live:
        async with gate():
            bodies = [({"title": f"n{i}"}, alice.headers) for i in range(4)]
            tasks = await post_all(app, client, bodies, one_by_one=True)
        answered = [(await task).json() for task in tasks]
        events = await live.settle()
    assert [a["title"] for a in answered] == ["n0", "n1", "n2", "n3"]  # each answered in full
    listed = (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    assert [n["title"] for n in listed] == ["n3", "n2"]
    # Every notification is announced before it is removed, and every removal is announced.
    kinds = [
        (e["type"], e["notification"]["id"] if e["type"] == "notification" else e["id"])
        for e in events
    ]
    for removed in answered[:2]:
        assert kinds.index(("notification", removed["id"])) < kinds.index(
            ("notification.deleted", removed["id"])
        )
    assert sorted(i for t, i in kinds if t == "notification.deleted") == [
        answered[0]["id"],
        answered[1]["id"],
    ]


async def test_a_recipient_deleted_before_the_write_fails_its_create_alone_with_422(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory, gate: Gate, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip(
            "PostgreSQL: no gate to hold; test_grouped_creates_postgresql.py holds a ledger row"
        )
    alice, doomed = await make_user(), await make_user()
    operator = await make_user(role="operator")
    bodies = [
        ({"title": "kept 1", "user_id": alice.id}, operator.headers),
        ({"title": "lost", "user_id": doomed.id}, operator.headers),
        ({"title": "kept 2", "user_id": alice.id}, operator.headers),
    ]
    async with gate():
        tasks = await post_all(app, client, bodies, one_by_one=True)
        # The recipient is removed after the create was checked, before it is stored.
        async with app.state.engine.begin() as conn:
            await conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": doomed.id})
    kept1, lost, kept2 = [await task for task in tasks]
    assert kept1.status_code == kept2.status_code == 201
    # As if it came just after the deletion: the user it names is unknown now.
    error = assert_error(lost, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "user_id"]
    assert str(doomed.id) in error["message"]
    listed = (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    assert [n["title"] for n in listed] == ["kept 2", "kept 1"]


async def test_a_topic_create_whose_subscriber_is_deleted_before_the_write_reaches_the_rest(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory, gate: Gate, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip(
            "PostgreSQL: no gate to hold; test_grouped_creates_postgresql.py holds a ledger row"
        )
    fan, doomed = await make_user(), await make_user()
    ci = await make_user(role="operator")
    for user in (fan, doomed):
        subscribed = await client.post(
            "/api/notifications/subscriptions", json={"topic": "deployment"}, headers=user.headers
        )
        assert subscribed.status_code == 201, subscribed.text
    body = {"title": "web deployed", "topic": "deployment"}
    async with gate():
        (task,) = await post_all(app, client, [(body, ci.headers)])
        async with app.state.engine.begin() as conn:
            await conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": doomed.id})
    answer = await task
    assert answer.status_code == 201, answer.text
    assert [n["user_id"] for n in answer.json()["items"]] == [fan.id]
    listed = (await client.get("/api/notifications", headers=fan.headers)).json()["items"]
    assert [n["title"] for n in listed] == ["web deployed"]


async def lock_waits(engine: AsyncEngine) -> int:
    """How many PostgreSQL sessions on this database wait for a lock."""
    async with engine.connect() as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(waiting or 0)


@pytest.mark.parametrize("idempotency_key", [None, "deploy-42"])
async def test_a_recipient_deleted_while_its_create_is_written_on_postgresql_answers_422(
    app: Any,
    client: httpx.AsyncClient,
    make_user: UserFactory,
    backend: str,
    idempotency_key: str | None,
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite: the grouped-creates tests above delete between the read and write")
    alice, doomed = await make_user(), await make_user()
    operator = await make_user(role="operator")
    async with app.state.engine.connect() as deleter:
        # Deleted but not committed: the create still reads the user, then its write waits
        # for the deleting transaction, which commits.
        await deleter.execute(text("DELETE FROM users WHERE id = :id"), {"id": doomed.id})
        lost = asyncio.create_task(
            client.post(
                "/api/notifications",
                json={"title": "lost", "user_id": doomed.id, "idempotency_key": idempotency_key},
                headers=operator.headers,
            )
        )
        # Its write waits for the deleting transaction's row lock.
        await until(lambda: lost.done() or lock_waits(app.state.engine), what="the create waiting")
        assert not lost.done()
        await deleter.commit()
    error = assert_error(await lost, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "user_id"]
    kept = await client.post(
        "/api/notifications", json={"title": "kept", "user_id": alice.id}, headers=operator.headers
    )
    assert kept.status_code == 201, kept.text
