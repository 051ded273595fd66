"""Notifications: the user's own, read (lists, counts, stats) and marked read or unread.

Every change here commits, then publishes its event to the user's channel (``events``): the
user's other devices learn of it only from that event. Marking read or unread has one way in,
``set_read`` (which ``mark_read``, ``mark_all_read`` and ``mark_one`` call): the REST routes,
the WebSocket's ``mark_read``/``mark_all_read`` messages, auto-read and the dashboards' quick
action all go through it, so none can mark read and forget to publish ``read`` (which left the
user's other devices with stale unread counts). The event goes out only once the change is
committed, and only when something changed.

Elsewhere: creating in ``sending`` (requests), ``store`` (the rows) and ``stream`` (the ordering
ledger); editing and deleting in ``changes``; the expiry purge in ``maintenance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.broker import Broker
from wakedock.db.base import utcnow
from wakedock.errors import NotFound
from wakedock.notifications import events
from wakedock.notifications.models import Notification, visible
from wakedock.notifications.schemas import (
    NotificationOut,
    NotificationType,
    Priority,
)


@dataclass
class ReadResult:
    ids: list[int]
    unread_count: int


def to_out(notification: Notification) -> NotificationOut:
    return NotificationOut.model_validate(notification)


# ---------------------------------------------------------------- reading


async def get_own(
    session: AsyncSession, *, user_id: int, notification_id: int, now: datetime
) -> Notification:
    """The user's notification; someone else's, a missing or an expired one is a 404."""
    row = await session.get(Notification, notification_id)
    if (
        row is None
        or row.user_id != user_id
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        raise NotFound("Notification not found")
    return row


def _filtered(
    query: Select[Any],
    *,
    user_id: int,
    now: datetime,
    unread_only: bool = False,
    type: str | None = None,
    priority: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    data_int: tuple[tuple[str, ...], int] | None = None,
) -> Select[Any]:
    query = query.where(Notification.user_id == user_id, visible(now))
    if data_int is not None:  # an integer at a path inside ``data`` (Gotify's appid)
        path, value = data_int
        query = query.where(Notification.data[path].as_integer() == value)
    if unread_only:
        query = query.where(Notification.read.is_(False))
    if type is not None:
        query = query.where(Notification.type == type)
    if priority is not None:
        query = query.where(Notification.priority == priority)
    if since is not None:
        query = query.where(Notification.created_at >= since)
    if until is not None:
        query = query.where(Notification.created_at < until)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Notification.title).like(pattern),
                func.lower(Notification.message).like(pattern),
            )
        )
    return query


async def list_page(
    session: AsyncSession,
    *,
    user_id: int,
    now: datetime,
    limit: int,
    before_id: int | None,
    **filters: Any,
) -> tuple[list[Notification], bool]:
    query = _filtered(select(Notification), user_id=user_id, now=now, **filters)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = list(
        (await session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1))).all()
    )
    return rows[:limit], len(rows) > limit


async def unread_count(session: AsyncSession, *, user_id: int, now: datetime | None = None) -> int:
    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read.is_(False), visible(now or utcnow())
    )
    return int(await session.scalar(query) or 0)


async def stats(session: AsyncSession, *, user_id: int, now: datetime) -> dict[str, Any]:
    base = and_(Notification.user_id == user_id, visible(now))
    by_type = dict(
        (
            await session.execute(
                select(Notification.type, func.count()).where(base).group_by(Notification.type)
            )
        ).all()
    )
    by_priority = dict(
        (
            await session.execute(
                select(Notification.priority, func.count())
                .where(base)
                .group_by(Notification.priority)
            )
        ).all()
    )
    by_read = dict(
        (
            await session.execute(
                select(Notification.read, func.count()).where(base).group_by(Notification.read)
            )
        ).all()
    )
    start = (now - timedelta(days=29)).replace(hour=0, minute=0, second=0, microsecond=0)
    created = (
        await session.scalars(
            select(Notification.created_at).where(base, Notification.created_at >= start)
        )
    ).all()
    per_day = {(start + timedelta(days=i)).date().isoformat(): 0 for i in range(30)}
    for at in created:
        day = at.astimezone(now.tzinfo).date().isoformat()
        if day in per_day:
            per_day[day] += 1
    total = sum(by_read.values())
    return {
        "total": total,
        "unread": int(by_read.get(False, 0)),
        "read": int(by_read.get(True, 0)),
        "by_type": {t.value: int(by_type.get(t.value, 0)) for t in NotificationType},
        "by_priority": {p.value: int(by_priority.get(p.value, 0)) for p in Priority},
        "per_day": [{"date": d, "count": c} for d, c in per_day.items()],
    }


async def counts_per_day(
    session: AsyncSession,
    *,
    user_id: int,
    now: datetime,
    days: int,
    group_by: str,
) -> dict[str, Any]:
    """The user's visible notifications per day (UTC) for the last ``days`` days, split by
    ``group_by`` ("type" or "priority"): ``{"days": [...], "series": {group: [count, ...]}}``.
    Read-only; used by the dashboards' notification_stats widget."""
    column = Notification.type if group_by == "type" else Notification.priority
    groups = (
        [t.value for t in NotificationType] if group_by == "type" else [p.value for p in Priority]
    )
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        await session.execute(
            select(column, Notification.created_at).where(
                Notification.user_id == user_id, visible(now), Notification.created_at >= start
            )
        )
    ).all()
    labels = [(start + timedelta(days=i)).date().isoformat() for i in range(days)]
    index = {day: i for i, day in enumerate(labels)}
    series = {group: [0] * days for group in groups}
    for group, at in rows:
        slot = index.get(at.astimezone(now.tzinfo).date().isoformat())
        if slot is not None and group in series:
            series[group][slot] += 1
    return {"days": labels, "series": series, "total": sum(map(sum, series.values()))}


# ---------------------------------------------------------------- read state


async def set_read(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    ids: Sequence[int] | None,
    read: bool,
    now: datetime,
    broker: Broker | None,
    type: str | None = None,
    action: AuditAction,
) -> ReadResult:
    """Mark the given ids (or all, when ``ids`` is None) read or unread, commit, then publish
    the change to every device of the user. Others' ids are ignored."""
    condition = [Notification.user_id == user_id, Notification.read.is_(not read), visible(now)]
    if ids is not None:
        if not ids:
            return ReadResult([], await unread_count(session, user_id=user_id, now=now))
        condition.append(Notification.id.in_(list(ids)))
    if type is not None:
        condition.append(Notification.type == type)
    changed = (
        (
            await session.execute(
                update(Notification)
                .where(*condition)
                .values(read=read, read_at=now if read else None)
                .returning(Notification.id)
            )
        )
        .scalars()
        .all()
    )
    changed_ids = sorted(int(i) for i in changed)
    if changed_ids:
        audit.record(
            session,
            actor=actor,
            action=action,
            resource_type="notification",
            resource_id=changed_ids[0] if len(changed_ids) == 1 else None,
            details={"ids": changed_ids[:100], "count": len(changed_ids), "type": type},
        )
    await session.commit()
    result = ReadResult(changed_ids, await unread_count(session, user_id=user_id, now=now))
    if result.ids:
        await events.read_state(
            broker, user_id=user_id, ids=result.ids, unread_count=result.unread_count, read=read
        )
    return result


async def mark_read(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    ids: Sequence[int],
    broker: Broker | None,
    now: datetime | None = None,
) -> ReadResult:
    return await set_read(
        session,
        actor=actor,
        user_id=user_id,
        ids=ids,
        read=True,
        now=now or utcnow(),
        broker=broker,
        action=AuditAction.NOTIFICATION_READ,
    )


async def mark_all_read(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    broker: Broker | None,
    type: str | None = None,
    now: datetime | None = None,
) -> ReadResult:
    return await set_read(
        session,
        actor=actor,
        user_id=user_id,
        ids=None,
        read=True,
        now=now or utcnow(),
        broker=broker,
        type=type,
        action=AuditAction.NOTIFICATION_READ_ALL,
    )


async def mark_one(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    notification_id: int,
    read: bool,
    now: datetime,
    broker: Broker | None,
) -> Notification:
    """Mark one of the user's notifications read or unread (a 404 for any other); the row as
    it is now."""
    await get_own(session, user_id=user_id, notification_id=notification_id, now=now)
    await set_read(
        session,
        actor=actor,
        user_id=user_id,
        ids=[notification_id],
        read=read,
        now=now,
        broker=broker,
        action=AuditAction.NOTIFICATION_READ if read else AuditAction.NOTIFICATION_UNREAD,
    )
    row = await get_own(session, user_id=user_id, notification_id=notification_id, now=now)
    await session.refresh(row)
    return row
