"""Broadcasts: accepted at once (202), fanned out by the worker in batches of recipients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.context import AuditActor
from wakedock.auth.models import User, UserRole
from wakedock.notifications.broadcast.schemas import Audience, BroadcastIn, BroadcastOut
from wakedock.notifications.models import Broadcast, Delivery, Notification
from wakedock.notifications.schemas import Priority
from wakedock.notifications.store import channels_by_name
from wakedock.notifications.templates import service as templates
from wakedock.notifications.templates.pool import TemplateRenderer


def stored_target(audience: Audience) -> dict[str, Any]:
    """The audience as stored on a broadcast (and as `audience_query` reads it)."""
    return audience.model_dump(exclude_none=True, mode="json")


def audience_query(target: dict[str, Any]) -> Select[int]:
    """Active users of the audience, by id (the worker pages through it with a cursor)."""
    query = select(User.id).where(User.is_active.is_(True))
    if target.get("roles"):
        query = query.where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(target["roles"])))
        )
    elif target.get("user_ids") is not None:
        query = query.where(User.id.in_(target["user_ids"]))
    return query.order_by(User.id)


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
    if body.template is not None:
        rendered = await templates.render_template(
            renderer, await templates.get_or_raise(session, name=body.template), body.variables
        )
        title, message = rendered.title, rendered.message
        kind = body.type.value if body.type else rendered.type
        priority = body.priority.value if body.priority else rendered.priority
        action_url = body.action_url or rendered.action_url
        ttl = body.ttl_seconds or rendered.ttl_seconds
    else:
        assert body.title is not None
        title, message = body.title, body.message or ""
        kind = body.type.value if body.type else "info"
        priority = body.priority.value if body.priority else Priority.NORMAL.value
        action_url, ttl = body.action_url, body.ttl_seconds
    channels = await channels_by_name(session, body.channels)
    target = stored_target(body.target)
    payload = {
        "title": title,
        "message": message,
        "type": kind,
        "priority": priority,
        "data": body.data,
        "action_url": action_url,
        "action_label": body.action_label,
        "expires_at": (now + timedelta(seconds=ttl)).isoformat() if ttl else None,
    }
    broadcast = Broadcast(
        sender_id=sender_id,
        target=target,
        payload=payload,
        created_at=now,
        recipients=await count_audience(session, target),
    )
    session.add(broadcast)
    await session.flush()
    session.add(
        Delivery(
            channel_type="broadcast",
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
        action="notification.broadcast",
        resource_type="broadcast",
        resource_id=broadcast.id,
        details={
            "target": target,
            "recipients": broadcast.recipients,
            "title": title,
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
