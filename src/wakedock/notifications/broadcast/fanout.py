"""The worker side of a broadcast: page through the audience, one transaction per batch.

Each batch inserts the recipients' notifications, plans their deliveries and moves the
broadcast's cursor in one commit, so memory stays at one batch and a crash resumes exactly
where the last commit left off (the cursor update is conditional: a second worker that took
over an expired lease cannot insert the same batch twice). A worker that is stopping leaves
between batches: the next start goes on from the cursor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.broker import Broker
from wakedock.db.engine import write_gate
from wakedock.notifications import events
from wakedock.notifications.channels.base import OutgoingMessage
from wakedock.notifications.models import Broadcast, Delivery
from wakedock.notifications.states import BroadcastStatus
from wakedock.notifications.store import Content, Created

if TYPE_CHECKING:
    from wakedock.notifications.delivery.worker import DeliveryWorker

BATCH_SIZE = 500


def content_of(broadcast: Broadcast) -> Content:
    payload = broadcast.payload
    expires = payload.get("expires_at")
    return Content(
        title=payload["title"],
        message=payload.get("message", ""),
        type=payload["type"],
        priority=payload["priority"],
        data=payload.get("data") or {},
        action_url=payload.get("action_url"),
        action_label=payload.get("action_label"),
        source="broadcast",
        expires_at=datetime.fromisoformat(expires) if expires else None,
    )


async def run(worker: DeliveryWorker, session: AsyncSession, job: Delivery) -> None:
    from wakedock.notifications import sending
    from wakedock.notifications.broadcast.service import audience_query
    from wakedock.notifications.delivery.worker import Released, Skip

    broadcast = await session.get(Broadcast, job.target["broadcast_id"])
    if broadcast is None or broadcast.status == BroadcastStatus.COMPLETED:
        raise Skip()
    content = content_of(broadcast)
    async with write_gate(session):
        broadcast.status = BroadcastStatus.SENDING
        await session.commit()
    while True:
        if worker.stopping:
            raise Released()
        cursor = broadcast.cursor_user_id
        ids = list(
            (
                await session.scalars(
                    audience_query(broadcast.target, after_id=cursor).limit(BATCH_SIZE)
                )
            ).all()
        )
        now = worker.clock.now()
        if not ids:
            async with write_gate(session):
                broadcast.status, broadcast.completed_at = BroadcastStatus.COMPLETED, now
                await session.commit()
            return
        # On SQLite, the batch waits for its turn to write with the creates (and the other
        # broadcasts' batches) instead of in SQLite's busy handler, which sleeps in growing
        # steps: 20 broadcasts at once spent most of their time asleep there.
        async with write_gate(session):
            created = await sending.deliver(
                session,
                user_ids=ids,
                content=content,
                now=now,
                sender_id=broadcast.sender_id,
                broadcast_id=broadcast.id,
            )
            moved = await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast.id, Broadcast.cursor_user_id == cursor)
                .values(
                    cursor_user_id=ids[-1],
                    delivered=Broadcast.delivered + len(created.notifications),
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) != 1:  # another worker already did this batch
                await session.rollback()
                raise Skip()
            job.lease_until = now + timedelta(seconds=worker.settings.delivery_lease_seconds)
            await session.commit()
        await publish(worker.broker, created)
        await session.refresh(broadcast)


async def publish(broker: Broker | None, created: Created) -> None:
    """``sending.publish`` for a batch: the rows are copies of one content, so their shape is
    built once (``events.payloads_alike``), and the batch's events go to the broker in one
    call. Removals (retention) first, as ``sending.publish`` does."""
    for user_id, notification_id in created.replaced:
        await events.deleted(broker, user_id=user_id, notification_id=notification_id)
    created.payloads.update(events.payloads_alike(created.live))
    await events.created_many(broker, created.live, created.payloads)


async def announcement(session: AsyncSession, broadcast_id: int) -> OutgoingMessage:
    """The one message a broadcast sends to each external channel it names."""
    from wakedock.notifications.delivery.worker import Skip

    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise Skip()
    p = broadcast.payload
    return OutgoingMessage(
        title=p["title"],
        body=p.get("message", ""),
        type=p["type"],
        priority=p["priority"],
        url=p.get("action_url"),
        event="broadcast",
    )
