"""Broadcasts: accepted at once (202), fanned out by the worker in batches of recipients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import directory
from wakedock.db.engine import write_gate
from wakedock.notifications.broadcast.schemas import Audience, BroadcastIn, BroadcastOut
from wakedock.notifications.content import resolve_content
from wakedock.notifications.models import Broadcast, Delivery, Notification, NotificationChannel
from wakedock.notifications.states import DeliveryChannel
from wakedock.notifications.store import channels_by_name
from wakedock.notifications.templates.pool import TemplateRenderer


def stored_target(audience: Audience) -> dict[str, Any]:
    """The audience as stored on a broadcast (and as `audience_query` reads it)."""
    return audience.model_dump(exclude_none=True, mode="json")


def audience_query(target: dict[str, Any], *, after_id: int | None = None) -> Select[int]:
    """Active users of the audience, by id, above ``after_id`` (the worker pages through it
    with a cursor); auth resolves who they are."""
    return directory.audience(
        roles=target.get("roles"), user_ids=target.get("user_ids"), after_id=after_id
    )


async def count_audience(session: AsyncSession, target: dict[str, Any]) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(audience_query(target).subquery()))
        or 0
    )


async def create(
    session: AsyncSession,
    *,
    actor: AuditActor,
    sender_id: int,
    body: BroadcastIn,
    now: datetime,
    renderer: TemplateRenderer,
) -> Broadcast:
    """Render, resolve the audience size, store the broadcast and its fan-out job; commit."""
    resolved = await resolve_content(session, body=body, renderer=renderer)
    title, message, ttl = resolved.title, resolved.message, resolved.ttl_seconds
    channels = await channels_by_name(session, body.channels)
    target = stored_target(body.target)
    payload = {
        "title": title,
        "message": message,
        "type": resolved.type,
        "priority": resolved.priority,
        "data": body.data,
        "action_url": resolved.action_url,
        "action_label": body.action_label,
        "expires_at": (now + timedelta(seconds=ttl)).isoformat() if ttl else None,
    }
    recipients = await count_audience(session, target)
    # On SQLite, the write waits its turn with the fan-out's batches at the write gate, not in
    # SQLite's busy handler (which sleeps in growing steps while a batch is written).
    async with write_gate(session):
        return await _store(
            session,
            actor=actor,
            sender_id=sender_id,
            target=target,
            payload=payload,
            recipients=recipients,
            channels=channels,
            now=now,
        )


async def _store(
    session: AsyncSession,
    *,
    actor: AuditActor,
    sender_id: int,
    target: dict[str, Any],
    payload: dict[str, Any],
    recipients: int,
    channels: Sequence[NotificationChannel],
    now: datetime,
) -> Broadcast:
    """Store the broadcast, its fan-out job and its announcements, audit, commit."""
    broadcast = Broadcast(
        sender_id=sender_id, target=target, payload=payload, created_at=now, recipients=recipients
    )
    session.add(broadcast)
    await session.flush()
    session.add(
        Delivery(
            channel_type=DeliveryChannel.BROADCAST,
            target={"broadcast_id": broadcast.id},
            run_at=now,
            created_at=now,
            max_attempts=20,
        )
    )
    for channel in channels:  # one announcement per external channel, not one per recipient
        session.add(
            Delivery(
                channel_type=channel.type,
                channel_id=channel.id,
                run_at=now,
                created_at=now,
                target={"broadcast_id": broadcast.id},
            )
        )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NOTIFICATION_BROADCAST,
        resource_type="broadcast",
        resource_id=broadcast.id,
        details={
            "target": target,
            "recipients": broadcast.recipients,
            "title": payload["title"],
            "channels": [c.name for c in channels],
        },
    )
    await session.commit()
    return broadcast


async def list_broadcasts(
    session: AsyncSession, *, limit: int, before_id: int | None
) -> list[BroadcastOut]:
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Broadcast.id < before_id)
    rows: Sequence[Broadcast] = (await session.scalars(query)).all()
    reads = (
        dict(
            (
                await session.execute(
                    select(Notification.broadcast_id, func.count())
                    .where(
                        Notification.broadcast_id.in_([r.id for r in rows]),
                        Notification.read.is_(True),
                    )
                    .group_by(Notification.broadcast_id)
                )
            ).all()
        )
        if rows
        else {}
    )
    return [
        BroadcastOut(
            id=r.id,
            sender_id=r.sender_id,
            title=r.payload.get("title", ""),
            type=r.payload.get("type", "info"),
            priority=r.payload.get("priority", "normal"),
            target=r.target,
            status=r.status,
            recipients=r.recipients,
            delivered=r.delivered,
            read=int(reads.get(r.id, 0)),
            created_at=r.created_at,
            completed_at=r.completed_at,
        )
        for r in rows
    ]
