"""Notifications changed and deleted by their owner: one edited (the REST PATCH), one deleted,
or every one at once (Gotify's ``DELETE /message``, optionally one application's only).

Like every change of the domain, each commits with its audit event, then publishes to the
user's channel (``events``): ``notification.updated`` or ``notification.deleted`` per row, so
the user's other devices drop or refresh what they show. Reads and read state are in
``service``; creating in ``sending``/``store``; the expiry purge in ``maintenance``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.broker import Broker
from wakedock.errors import ValidationFailed
from wakedock.notifications import events
from wakedock.notifications.models import Notification
from wakedock.notifications.schemas import NotificationUpdate
from wakedock.notifications.service import get_own


async def update_own(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    notification_id: int,
    body: NotificationUpdate,
    now: datetime,
    broker: Broker | None,
) -> Notification:
    """Apply the fields the request set to one of the user's notifications (a null title,
    type or priority is ignored), commit, publish ``notification.updated``."""
    row = await get_own(session, user_id=user_id, notification_id=notification_id, now=now)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("expires_at") is not None and changes["expires_at"].tzinfo is None:
        raise ValidationFailed("expires_at needs a time zone offset", field="body.expires_at")
    for key, value in changes.items():
        if key in ("title", "type", "priority") and value is None:
            continue
        if key == "read":
            if value is None or value == row.read:
                continue
            row.read_at = now if value else None
        if key in ("type", "priority") and value is not None:
            value = str(value)
        if key == "message" and value is None:
            value = ""
        if key == "data" and value is None:
            value = {}
        setattr(row, key, value)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NOTIFICATION_UPDATE,
        resource_type="notification",
        resource_id=row.id,
        details={"fields": sorted(changes)},
    )
    await session.commit()
    await session.refresh(row)
    await events.updated(broker, row)
    return row


async def delete_own(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    notification_id: int,
    now: datetime,
    broker: Broker | None,
) -> None:
    """Delete one of the user's notifications, commit, publish ``notification.deleted``."""
    row = await get_own(session, user_id=user_id, notification_id=notification_id, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NOTIFICATION_DELETE,
        resource_type="notification",
        resource_id=row.id,
    )
    await session.delete(row)
    await session.commit()
    await events.deleted(broker, user_id=user_id, notification_id=notification_id)


async def delete_all_own(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    broker: Broker | None,
    data_int: tuple[tuple[str, ...], int] | None = None,
) -> int:
    """Delete every notification of the user (those with ``data_int``, an integer at a path
    inside ``data``, when given) in one audit event, commit, then publish
    ``notification.deleted`` for each. Returns how many were deleted."""
    query = select(Notification.id).where(Notification.user_id == user_id)
    if data_int is not None:
        path, value = data_int
        query = query.where(Notification.data[path].as_integer() == value)
    ids = list(await session.scalars(query))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await session.execute(
            delete(Notification).where(Notification.user_id == user_id, Notification.id.in_(chunk))
        )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NOTIFICATION_DELETE_ALL,
        resource_type="notification",
        details={"count": len(ids), **({"data": list(data_int[0])} if data_int else {})},
    )
    await session.commit()
    for notification_id in ids:
        await events.deleted(broker, user_id=user_id, notification_id=notification_id)
    return len(ids)
