"""The delivery queue as the admin and a notification's recipient see it: listings, a
notification's timeline, and the retry of a dead or failed delivery.

A retry puts the row back to pending, due now, with room for one more attempt, audits it and
commits, then wakes the worker (if this process runs one) so it does not wait for its poll.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.errors import NotFound, ValidationFailed
from wakedock.notifications import service as notifications
from wakedock.notifications.models import Delivery, Notification
from wakedock.notifications.states import RETRYABLE, DeliveryChannel, DeliveryStatus


async def list_deliveries(
    session: AsyncSession,
    *,
    status: DeliveryStatus | None,
    channel_type: DeliveryChannel | None,
    before_id: int | None,
    limit: int,
) -> list[Delivery]:
    """Deliveries newest first, up to ``limit`` (ask for one more to know there is a next page)."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    if channel_type is not None:
        query = query.where(Delivery.channel_type == channel_type)
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    return list((await session.scalars(query)).all())


async def timeline(
    session: AsyncSession, *, notification_id: int, viewer_id: int | None, now: datetime
) -> Sequence[Delivery]:
    """A notification's deliveries in the order they were planned. ``viewer_id`` None: an
    admin's view (any notification); else the notification must be the viewer's own (404)."""
    if viewer_id is None:
        if await session.get(Notification, notification_id) is None:
            raise NotFound("Notification not found")
    else:
        await notifications.get_own(
            session, user_id=viewer_id, notification_id=notification_id, now=now
        )
    return (
        await session.scalars(
            select(Delivery)
            .where(Delivery.notification_id == notification_id)
            .order_by(Delivery.id)
        )
    ).all()


async def retry(
    session: AsyncSession,
    *,
    actor: AuditActor,
    delivery_id: int,
    now: datetime,
    wake: Callable[[], None] | None = None,
) -> Delivery:
    """Make a dead, retrying or cancelled delivery due now; audit, commit, wake the worker."""
    job = await session.get(Delivery, delivery_id)
    if job is None:
        raise NotFound("Delivery not found")
    if job.status not in RETRYABLE:
        raise ValidationFailed(
            f"A {job.status} delivery cannot be retried", field="path.delivery_id"
        )
    job.status, job.run_at, job.completed_at = DeliveryStatus.PENDING, now, None
    job.max_attempts = max(job.max_attempts, job.attempts + 1)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DELIVERY_RETRY,
        resource_type="delivery",
        resource_id=job.id,
        details={"channel_type": job.channel_type},
    )
    await session.commit()
    await session.refresh(job)
    if wake is not None:
        wake()
    return job
