"""The delivery worker: leases, crash recovery, concurrent workers, retry schedule, metrics."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from tests.conftest import UserFactory
from tests.notifications.conftest import HttpReceiver
from wakedock.clock import FrozenClock
from wakedock.notifications.delivery.retry import backoff
from wakedock.notifications.delivery.worker import DeliveryWorker
from wakedock.notifications.models import Notification


def test_eight_attempts_span_about_thirty_minutes() -> None:
    rng = random.Random(7)
    waits = [backoff(attempt, rng=rng) for attempt in range(1, 8)]
    assert all(b > a for a, b in itertools.pairwise(waits))
    assert 25 * 60 <= sum(waits) <= 40 * 60
    no_jitter = [backoff(attempt, jitter=0) for attempt in range(1, 8)]
    assert no_jitter[:3] == [15, 30, 60]


def make_worker(app: Any, clock: FrozenClock, name: str) -> DeliveryWorker:
    return DeliveryWorker(
        sessionmaker=app.state.sessionmaker,
        settings=app.state.settings,
        broker=app.state.broker,
        clock=clock,
        worker_id=name,
    )


async def test_a_killed_worker_leaves_a_lease_that_expires(
    client: httpx.AsyncClient, admin_headers: dict[str, str], http_receiver: HttpReceiver, app: Any
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    app.state.clock = clock
    await client.post(
        "/api/notifications/channels",
        json={"name": "h", "type": "webhook", "config": {"url": f"{http_receiver.base}/x"}},
        headers=admin_headers,
    )
    await client.post(
        "/api/notifications", json={"title": "t", "channels": ["h"]}, headers=admin_headers
    )
    crashed = make_worker(app, clock, "crashed")
    assert len(await crashed.claim(10)) == 1  # claimed, then the process "dies"
    survivor = make_worker(app, clock, "survivor")
    assert await survivor.drain() == 0  # leased: nobody else may take it
    clock.advance(seconds=app.state.settings.delivery_lease_seconds + 1)
    assert await survivor.drain() == 1
    assert len(http_receiver.requests) == 1
    job = (await client.get("/api/notifications/deliveries", headers=admin_headers)).json()[
        "items"
    ][0]
    assert job["status"] == "succeeded"
    assert job["attempts"] == 2  # the lost attempt counts


async def test_an_idle_poll_writes_nothing(app: Any) -> None:
    """The worker polls every second: finding nothing due must not take SQLite's write lock
    (a create would wait for it), so an idle poll is reads only."""
    writes: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "COMMIT", "ROLLBACK")):
            writes.append(statement)

    worker = make_worker(app, FrozenClock(datetime.now(UTC)), "idle")
    event.listen(app.state.engine.sync_engine, "before_cursor_execute", spy)
    try:
        assert await worker.run_once() == 0
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", spy)
    assert writes == []


async def test_concurrent_workers_never_take_the_same_job(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
    make_user: UserFactory,
) -> None:
    await client.post(
        "/api/notifications/channels",
        json={"name": "h", "type": "webhook", "config": {"url": f"{http_receiver.base}/x"}},
        headers=admin_headers,
    )
    for i in range(40):
        await client.post(
            "/api/notifications", json={"title": f"n{i}", "channels": ["h"]}, headers=admin_headers
        )
    clock = FrozenClock(datetime.now(UTC))
    workers = [make_worker(app, clock, f"w{i}") for i in range(4)]
    claims = await asyncio.gather(*(w.claim(15) for w in workers))
    claimed_ids = [job_id for batch in claims for job_id, *_ in batch]
    assert len(claimed_ids) == len(set(claimed_ids)) == 40
    for worker, batch in zip(workers, claims, strict=True):
        for job_id, *_ in batch:
            await worker.process(job_id)
    assert len(http_receiver.requests) == 40


async def test_metrics_expose_queue_and_outcomes(
    client: httpx.AsyncClient, admin_headers: dict[str, str], http_receiver: HttpReceiver, app: Any
) -> None:
    await client.post(
        "/api/notifications/channels",
        json={"name": "h", "type": "webhook", "config": {"url": f"{http_receiver.base}/x"}},
        headers=admin_headers,
    )
    await client.post(
        "/api/notifications", json={"title": "t", "channels": ["h"]}, headers=admin_headers
    )
    await app.state.worker.maintenance()
    text = (await client.get("/metrics")).text
    assert 'wakedock_delivery_queue_depth{status="pending"} 1.0' in text
    await app.state.worker.drain()
    await app.state.worker.maintenance()
    text = (await client.get("/metrics")).text
    assert 'wakedock_deliveries_total{channel="webhook",outcome="succeeded"}' in text
    assert 'wakedock_delivery_queue_depth{status="pending"} 0.0' in text
    assert "wakedock_notifications_created_total" in text
    assert "wakedock_delivery_oldest_pending_seconds" in text


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_resume_is_gap_free_under_concurrent_writers(
    app: Any, make_user: UserFactory, backend: str
) -> None:
    """Regression guard for the ordering lock: with ids from a sequence and no per-user lock, a
    reader polling "id > last seen" on PostgreSQL misses rows that commit out of id order."""
    user = await make_user()
    created: list[int] = []
    done = asyncio.Event()

    async def writer(n: int) -> None:
        from wakedock.notifications import sending
        from wakedock.notifications.store import Content

        for i in range(15):
            async with app.state.sessionmaker() as session:
                result = await sending.deliver(
                    session,
                    user_ids=[user.id],
                    content=Content(title=f"{n}-{i}"),
                    now=datetime.now(UTC),
                    sender_id=None,
                )
                await asyncio.sleep(random.random() / 200)  # hold the transaction open a little
                await session.commit()
                created.extend(x.id for x in result.notifications)

    seen: list[int] = []

    async def reader() -> None:
        last = 0
        while True:
            finished = done.is_set()
            async with app.state.sessionmaker() as session:
                # "Every notification with id > last", as a client resuming from an id asks.
                rows = (
                    await session.scalars(
                        select(Notification)
                        .where(Notification.user_id == user.id, Notification.id > last)
                        .order_by(Notification.id)
                        .limit(1000)
                    )
                ).all()
            for row in rows:
                seen.append(row.id)
                last = row.id
            if finished:
                return
            await asyncio.sleep(0)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(6)))
    done.set()
    await reading
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen)) == 90
