"""Scheduled notifications: a create request stored now and sent at ``run_at`` (ntfy's
``X-Delay``), durably: the row survives a restart and the delivery worker sends it when due.

Invariants: a scheduled create is sent at most once when it succeeds and at least once
otherwise. A worker claims a due row by moving it from ``pending`` to ``running`` with a
conditional UPDATE (one worker wins across processes) and sets ``run_at`` to a lease: a
process that dies holding it leaves a ``running`` row whose lease expires, and the next
worker takes it again. The sender's credentials are checked again at sending time
(``auth.access.permissions``): a revoked token or a disabled sender leaves the row
``refused``, nothing sent; what the create itself refuses leaves it ``failed`` with the reason.
Sending is ``sending.create``, so the notification is the same as one created at that time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import access
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.errors import WakeDockError
from wakedock.notifications import sending
from wakedock.notifications.models import ScheduledNotification
from wakedock.notifications.schemas import NotificationCreate
from wakedock.notifications.states import ScheduledStatus
from wakedock.notifications.topics import service as topic_access

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 50


async def schedule(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    body: NotificationCreate,
    run_at: datetime,
) -> ScheduledNotification:
    """Store ``body`` to be created at ``run_at`` (audited, committed). A topic's access rule
    is checked now and again when it is sent (``sending``)."""
    if body.topic is not None:
        await topic_access.check_publish_to(session, principal, body.topic)
    row = ScheduledNotification(
        sender_id=principal.user_id,
        sender_name=principal.username,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        request=body.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        run_at=run_at,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NOTIFICATION_SCHEDULE,
        resource_type="scheduled_notification",
        resource_id=row.id,
        details={"run_at": run_at.isoformat(), "topic": body.topic},
    )
    await session.commit()
    return row


async def _claim(session: AsyncSession, *, now: datetime) -> list[int]:
    due = (
        await session.scalars(
            select(ScheduledNotification.id)
            .where(
                or_(
                    ScheduledNotification.status == ScheduledStatus.PENDING,
                    ScheduledNotification.status == ScheduledStatus.RUNNING,  # a lease that ran out
                ),
                ScheduledNotification.run_at <= now,
            )
            .order_by(ScheduledNotification.run_at, ScheduledNotification.id)
            .limit(BATCH)
        )
    ).all()
    claimed: list[int] = []
    for row_id in due:
        won = await session.execute(
            update(ScheduledNotification)
            .where(
                ScheduledNotification.id == row_id,
                ScheduledNotification.status.in_(
                    (ScheduledStatus.PENDING, ScheduledStatus.RUNNING)
                ),
                ScheduledNotification.run_at <= now,
            )
            .values(status=ScheduledStatus.RUNNING, run_at=now + LEASE)
        )
        if won.rowcount:  # type: ignore[attr-defined]
            claimed.append(row_id)
    await session.commit()
    return claimed


async def release_due(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, broker: Broker | None
) -> int:
    """Send every scheduled create that is due; how many were handled."""
    async with sessionmaker() as session:
        claimed = await _claim(session, now=now)
    for row_id in claimed:
        async with sessionmaker() as session:
            await _send_one(session, row_id, now=now, broker=broker)
    return len(claimed)


async def _send_one(
    session: AsyncSession, row_id: int, *, now: datetime, broker: Broker | None
) -> None:
    row = await session.get(ScheduledNotification, row_id)
    if row is None:
        return
    permissions = await access.permissions(
        session,
        user_id=row.sender_id,
        session_id=row.session_id,
        api_token_id=row.api_token_id,
        now=now,
    )
    status, sent, error = ScheduledStatus.REFUSED, 0, "the sender's credentials are no longer valid"
    if permissions is not None:
        principal = Principal(
            user_id=row.sender_id,
            username=row.sender_name,
            roles=(),
            permissions=permissions,
            session_id=row.session_id,
            api_token_id=row.api_token_id,
        )
        body = NotificationCreate.model_validate(row.request)
        try:
            created = await sending.create(
                session,
                principal=principal,
                actor=principal.acting(),
                body=body,
                now=now,
                broker=broker,
            )
            status, sent, error = ScheduledStatus.DONE, len(created.notifications), ""
        except WakeDockError as exc:
            await session.rollback()
            status, error = ScheduledStatus.FAILED, exc.message
        except Exception:  # left running: the lease runs out and it is tried again
            logger.exception("scheduled notification %s could not be sent", row_id)
            await session.rollback()
            raise
    await session.execute(
        update(ScheduledNotification)
        .where(ScheduledNotification.id == row_id)
        .values(status=status, sent=sent, last_error=error or None, completed_at=now)
    )
    await session.commit()
