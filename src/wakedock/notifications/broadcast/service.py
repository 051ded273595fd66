"""Broadcasts: accepted at once (202), fanned out by the worker in batches of recipients."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import directory
from wakedock.db.group_commit import GroupCommit
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
    """Render; store the broadcast, its audience's size and its fan-out job (with the other
    broadcasts waiting to be written then, ``_BROADCASTS``)."""
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
    return await _BROADCASTS.submit(
        session,
        _Accepted(
            actor=actor,
            sender_id=sender_id,
            target=target,
            payload=payload,
            channels=channels,
            now=now,
        ),
    )


@dataclass(frozen=True, slots=True)
class _Accepted:
    actor: AuditActor
    sender_id: int
    target: dict[str, Any]
    payload: dict[str, Any]
    channels: Sequence[NotificationChannel]
    now: datetime


async def _store(session: AsyncSession, accepted: Sequence[_Accepted]) -> list[Broadcast]:
    """Store each broadcast, its fan-out job and its announcements, audit; one commit.

    The audience is counted here, once per distinct target of the group (50 broadcasts to
    everyone sent at once counted it 50 times, one query each before their turn)."""
    broadcasts = []
    counted: dict[str, int] = {}
    for item in accepted:
        key = json.dumps(item.target, sort_keys=True)
        if key not in counted:
            counted[key] = await count_audience(session, item.target)
        broadcast = Broadcast(
            sender_id=item.sender_id,
            target=item.target,
            payload=item.payload,
            created_at=item.now,
            recipients=counted[key],
        )
        session.add(broadcast)
        broadcasts.append(broadcast)
    await session.flush()
    entries = []
    for item, broadcast in zip(accepted, broadcasts, strict=True):
        session.add(
            Delivery(
                channel_type=DeliveryChannel.BROADCAST,
                target={"broadcast_id": broadcast.id},
                run_at=item.now,
                created_at=item.now,
                max_attempts=20,
            )
        )
        for channel in item.channels:  # one announcement per external channel, not per user
            session.add(
                Delivery(
                    channel_type=channel.type,
                    channel_id=channel.id,
                    run_at=item.now,
                    created_at=item.now,
                    target={"broadcast_id": broadcast.id},
                )
            )
        entries.append(
            audit.entry(
                item.actor,
                AuditAction.NOTIFICATION_BROADCAST,
                resource_type="broadcast",
                resource_id=broadcast.id,
                details={
                    "target": item.target,
                    "recipients": broadcast.recipients,
                    "title": item.payload["title"],
                    "channels": [c.name for c in item.channels],
                },
            )
        )
    await audit.write_many(session, entries)
    await session.commit()
    return broadcasts


# On SQLite, broadcasts sent at once are stored together when it is their turn to write (with
# the fan-out's batches and the creates, at the write gate): 50 sent at once took 50 turns,
# and the worker's claim of the first waited behind them all (its first delivery 120 ms after
# they were sent); together they take a few.
_BROADCASTS: GroupCommit[_Accepted, Broadcast] = GroupCommit(_store)


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
