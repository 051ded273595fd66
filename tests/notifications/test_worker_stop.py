"""The delivery worker's graceful stop: nothing claimed after it, a broadcast left at a batch
boundary, a job still running after the grace cancelled, every lease released without an
attempt counted, and the next worker goes on at once (no lease to wait out)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import insert, select

from tests.notifications.conftest import HttpReceiver
from tests.notifications.test_worker import make_worker
from wakedock.auth.models import User, UserRole
from wakedock.auth.passwords import hash_password_sync
from wakedock.clock import Clock
from wakedock.notifications.broadcast import fanout
from wakedock.notifications.models import Broadcast, Delivery, Notification


async def _users(app: Any, count: int) -> list[int]:
    password_hash = hash_password_sync("irrelevant-password")
    async with app.state.sessionmaker() as session:
        await session.execute(
            insert(User),
            [
                {
                    "username": f"stop{i}",
                    "email": f"stop{i}@example.com",
                    "password_hash": password_hash,
                    "is_active": True,
                    "timezone": "UTC",
                }
                for i in range(count)
            ],
        )
        ids = list(
            (await session.scalars(select(User.id).where(User.username.like("stop%")))).all()
        )
        await session.execute(insert(UserRole), [{"user_id": uid, "role": "user"} for uid in ids])
        await session.commit()
    return ids


async def _job(app: Any, job_id: int) -> Delivery:
    async with app.state.sessionmaker() as session:
        job = await session.get(Delivery, job_id)
        assert job is not None
        return job


async def test_a_broadcast_stops_between_batches_and_the_next_worker_goes_on(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(fanout, "BATCH_SIZE", 2)
    ids = await _users(app, 5)
    accepted = (
        await client.post(
            "/api/notifications/broadcast",
            json={"title": "to all users", "target": {"roles": ["user"]}},
            headers=admin_headers,
        )
    ).json()
    stopping = make_worker(app, Clock(), "stopping")
    publish = fanout.publish_all  # a batch's events, after its commit

    async def publish_then_signal(broker: Any, created: Any) -> None:
        await publish(broker, created)
        stopping.stopping = True  # SIGTERM arrives after the first batch's commit

    monkeypatch.setattr(fanout, "publish_all", publish_then_signal)
    assert await stopping.run_once() == 1
    monkeypatch.setattr(fanout, "publish_all", publish)
    assert await stopping.stop(grace=5) == 1
    assert await stopping.run_once() == 0  # a stopped worker claims nothing

    async with app.state.sessionmaker() as session:
        job = await session.scalar(select(Delivery).where(Delivery.channel_type == "broadcast"))
        assert job is not None
        broadcast = await session.get(Broadcast, accepted["broadcast_id"])
        assert broadcast is not None
        assert broadcast.delivered == 2
    # Released, due now, and the stop did not count as an attempt.
    assert (job.status, job.attempts, job.locked_by, job.lease_until) == ("pending", 0, None, None)

    assert await make_worker(app, Clock(), "next").drain() >= 1
    async with app.state.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Notification.user_id).where(
                    Notification.broadcast_id == accepted["broadcast_id"]
                )
            )
        ).all()
        broadcast = await session.get(Broadcast, accepted["broadcast_id"])
        assert broadcast is not None
    assert sorted(rows) == sorted(ids)  # everyone once: nothing lost, nothing twice
    assert (broadcast.status, broadcast.delivered) == ("completed", 5)
    assert (await _job(app, job.id)).attempts == 1


async def test_a_job_still_running_after_the_grace_is_cancelled_and_released(
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
    stuck = make_worker(app, Clock(), "stuck")
    sending_now = asyncio.Event()

    async def hang(*args: Any, **kwargs: Any) -> list[Delivery]:
        sending_now.set()
        await asyncio.Event().wait()  # an endpoint that never answers
        return []

    stuck._send = hang  # type: ignore[method-assign]
    turn = asyncio.create_task(stuck.run_once())
    await asyncio.wait_for(sending_now.wait(), 5)
    assert await stuck.stop(grace=0.2) == 1
    await asyncio.wait({turn})
    assert turn.cancelled() or isinstance(turn.exception(), asyncio.CancelledError)
    async with app.state.sessionmaker() as session:
        job = await session.scalar(select(Delivery).where(Delivery.channel_type == "webhook"))
        assert job is not None
    assert (job.status, job.attempts, job.locked_by) == ("pending", 0, None)
    assert await make_worker(app, Clock(), "next").drain() == 1  # no lease to wait out
    assert len(http_receiver.requests) == 1
