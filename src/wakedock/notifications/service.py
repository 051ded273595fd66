"""Notifications: create (with targets, templates, idempotency, grouping), read, change, delete.

Ordering contract: every creating transaction first locks the recipients' rows in
``notification_user_state`` (in user id order), then inserts. Ids are allocated after the lock
and the lock is held until commit, so one user's notifications become visible in id order and
"every notification with id > X" is a gap-free resume point, even on PostgreSQL with concurrent
writers. SQLite needs no row lock: its first write in a transaction takes the database's single
write lock until commit, so ids are allocated and committed one transaction at a time.

The same row counts the user's live stream (``last_seq``): a notification pushed to their
sockets takes the next position under that lock, so positions have no gaps and commit in order;
sockets deliver live events by position (wakedock.realtime.connection).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.context import AuditActor
from wakedock.errors import NotFound, ValidationFailed
from wakedock.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationUserState,
)
from wakedock.notifications.schemas import NotificationOut, NotificationType, Priority

IDEMPOTENCY_WINDOW = timedelta(hours=24)


@dataclass
class ReadResult:
    ids: list[int]
    unread_count: int


@dataclass
class Content:
    """What a notification says; the same for every recipient of one create or broadcast."""

    title: str
    message: str = ""
    type: str = NotificationType.INFO.value
    priority: str = Priority.NORMAL.value
    data: dict[str, Any] = field(default_factory=dict)
    action_url: str | None = None
    action_label: str | None = None
    topic: str | None = None
    resource_id: str | None = None
    source: str | None = None
    group_key: str | None = None
    expires_at: datetime | None = None
    # Per-channel parts from a template; they travel with the e-mail delivery, not the row.
    email_subject: str | None = None
    email_html: str | None = None


@dataclass
class Created:
    notifications: list[Notification]
    replaced: list[tuple[int, int]]  # (user_id, notification_id) removed by group_key
    live: list[Notification]
    existing: bool = False  # an idempotent replay: nothing was created
    # REST shapes (``events.notification_payload``) built once, for the events and the answer.
    payloads: dict[int, dict[str, Any]] = field(default_factory=dict)


def to_out(notification: Notification) -> NotificationOut:
    return NotificationOut.model_validate(notification)


def visible(now: datetime | BindParameter[Any]) -> Any:
    return or_(Notification.expires_at.is_(None), Notification.expires_at > now)


# ---------------------------------------------------------------- ordering lock

_NO_POSITIONS: Mapping[int, int] = MappingProxyType({})


async def lock_recipients(
    session: AsyncSession,
    user_ids: Collection[int],
    *,
    positions: Mapping[int, int] = _NO_POSITIONS,
) -> dict[int, int]:
    """Create missing state rows and lock them in id order (held until commit), and take
    ``positions[user]`` positions of each user's live stream. Returns {user id: the last
    position taken} for the users given positions."""
    ids = sorted(set(user_ids))
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "sqlite":
        # The first write takes SQLite's write lock (see the ordering contract above): only
        # stream positions need the rows.
        ids = [uid for uid in ids if positions.get(uid)]
    if not ids:
        return {}
    # One statement creates or locks every row and counts the positions: ON CONFLICT DO
    # UPDATE takes the row lock on PostgreSQL (rows in the VALUES order: sorted, so no
    # deadlocks).
    if len(ids) == 1:  # the common case, built once per dialect
        uid = ids[0]
        step = positions.get(uid, 0)
        _, seq = (await session.execute(_lock_one(dialect), {"user_id": uid, "step": step})).one()
        return {uid: int(seq)} if step else {}
    values = [
        {"user_id": uid, "replay_floor_id": 0, "last_seq": positions.get(uid, 0)} for uid in ids
    ]
    rows = await session.execute(_lock_statement(dialect, values))
    return {int(uid): int(seq) for uid, seq in rows if positions.get(uid)}


# On the table, not the mapped class: an ORM-enabled INSERT goes through the ORM's bulk
# machinery, a third of the statement's cost for nothing here.
_states = NotificationUserState.metadata.tables[NotificationUserState.__tablename__]


def _upsert_state(dialect: str, values: Any) -> Any:
    """INSERT into ``notification_user_state`` with ON CONFLICT (user_id), in the dialect's form."""
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert_into(_states).values(values)


def _lock_statement(dialect: str, values: Any) -> Any:
    """``last_seq`` in the values is the step: how many positions the user is given."""
    statement = _upsert_state(dialect, values)
    return statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={"last_seq": _states.c.last_seq + statement.excluded.last_seq},
    ).returning(_states.c.user_id, _states.c.last_seq)


@functools.cache
def _lock_one(dialect: str) -> Any:
    return _lock_statement(
        dialect,
        {"user_id": bindparam("user_id"), "replay_floor_id": 0, "last_seq": bindparam("step")},
    )


async def next_position(session: AsyncSession, *, user_id: int) -> int:
    """The next position of the user's live stream, for a notification held until now (quiet
    hours). No commit; the row lock orders it with concurrent creates."""
    seqs = await lock_recipients(session, [user_id], positions={user_id: 1})
    return seqs[user_id]


async def raise_replay_floor(session: AsyncSession, *, user_id: int, removed_id: int) -> None:
    """Raise the user's floor to ``removed_id`` (creating the state row: on SQLite creates do
    not make one)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    statement = _upsert_state(dialect, {"user_id": user_id, "replay_floor_id": removed_id})
    floor, removed = _states.c.replay_floor_id, statement.excluded.replay_floor_id
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"replay_floor_id": case((floor < removed, removed), else_=floor)},
        )
    )


# ---------------------------------------------------------------- creating


async def find_idempotent(
    session: AsyncSession, *, sender_id: int, key: str, now: datetime
) -> list[Notification]:
    """Notifications created by this sender with this key in the last 24 hours."""
    # Older rows give the key back, so it can be used again.
    await session.execute(
        update(Notification)
        .where(
            Notification.sender_id == sender_id,
            Notification.idempotency_key == key,
            Notification.created_at < now - IDEMPOTENCY_WINDOW,
        )
        .values(idempotency_key=None)
    )
    query = (
        select(Notification)
        .where(Notification.sender_id == sender_id, Notification.idempotency_key == key)
        .order_by(Notification.id)
    )
    return list((await session.scalars(query)).all())


# On the table, not the mapped class: a Core INSERT ... RETURNING id is a third of what adding
# objects and flushing them costs (the unit of work, then loading the generated values).
_notifications = Notification.metadata.tables[Notification.__tablename__]
# Ids in the order of the rows, in one statement: PostgreSQL orders them by a sentinel
# counter. On SQLite, SQLAlchemy would send one statement per row to promise that order (a
# trip to the connection's thread each: 64 rows took 64 trips); there one multi-row INSERT
# gives the rows increasing rowids in the order of its VALUES (the largest rowid plus one,
# row after row, under the write lock), so sorting the ids it returns is that order.
_INSERT_NOTIFICATIONS = insert(_notifications).returning(
    _notifications.c.id, sort_by_parameter_order=True
)
_INSERT_NOTIFICATIONS_SQLITE = insert(_notifications).returning(_notifications.c.id)


async def _insert_rows(session: AsyncSession, values: list[dict[str, Any]]) -> list[int]:
    """Insert the rows; their ids, in the order of ``values``."""
    if not values:
        return []
    bind = session.bind
    if bind is not None and bind.dialect.name == "sqlite":
        return sorted((await session.execute(_INSERT_NOTIFICATIONS_SQLITE, values)).scalars())
    return list((await session.execute(_INSERT_NOTIFICATIONS, values)).scalars())


@dataclass(frozen=True, slots=True)
class Insert:
    """One create's rows: its content, once for each of its users.

    ``pushed``: the users to whom it goes live now (it gets the next position of their
    stream); ``held``: those to whom quiet hours push it later."""

    user_ids: Sequence[int]
    content: Content
    sender_id: int | None
    created_at: datetime
    pushed: Collection[int] = ()
    held: Collection[int] = ()
    idempotency_key: str | None = None
    broadcast_id: int | None = None


async def insert_for(
    session: AsyncSession, inserts: Sequence[Insert]
) -> list[tuple[list[Notification], list[tuple[int, int]]]]:
    """Lock every recipient, apply group_key replacement, insert every row. No commit.

    Several creates go in one statement each for the lock and the rows, as if inserted one
    after the other in the order given: their positions in a user's stream and their ids
    follow that order. Two of them must not share a group_key (the second would replace the
    first). Returns each create's (notifications, replaced (user id, notification id))."""
    positions: dict[int, int] = {}
    for ins in inserts:
        for uid in set(ins.pushed):
            positions[uid] = positions.get(uid, 0) + 1
    last = await lock_recipients(
        session, {uid for ins in inserts for uid in ins.user_ids}, positions=positions
    )
    next_seq = {uid: seq - positions[uid] + 1 for uid, seq in last.items()}
    replaced: list[list[tuple[int, int]]] = []
    for ins in inserts:
        replaced.append(await _replace_group(session, ins) if ins.content.group_key else [])
    values: list[dict[str, Any]] = []
    for ins in inserts:
        content = ins.content
        shared = {
            "type": content.type,
            "priority": content.priority,
            "title": content.title,
            "message": content.message,
            "data": content.data,
            "action_url": content.action_url,
            "action_label": content.action_label,
            "topic": content.topic,
            "resource_id": content.resource_id,
            "source": content.source,
            "group_key": content.group_key,
            "read": False,
            "read_at": None,
            "created_at": ins.created_at,
            "expires_at": content.expires_at,
            "sender_id": ins.sender_id,
            "idempotency_key": ins.idempotency_key,
            "broadcast_id": ins.broadcast_id,
        }
        for uid in sorted(set(ins.user_ids)):
            seq = None
            if uid in ins.pushed:
                seq = next_seq[uid]
                next_seq[uid] += 1
            values.append({**shared, "user_id": uid, "seq": seq, "held": uid in ins.held})
    ids = await _insert_rows(session, values)
    # The rows as objects for the callers (payloads, delivery plans); not in the session: the
    # INSERT above stored them.
    rows = iter([Notification(id=nid, **row) for nid, row in zip(ids, values, strict=True)])
    return [
        ([next(rows) for _ in range(len(set(ins.user_ids)))], gone)
        for ins, gone in zip(inserts, replaced, strict=True)
    ]


async def _replace_group(session: AsyncSession, ins: Insert) -> list[tuple[int, int]]:
    """Delete the recipients' unread notifications with the create's group_key."""
    rows = (
        await session.execute(
            delete(Notification)
            .where(
                Notification.user_id.in_(list(ins.user_ids)),
                Notification.group_key == ins.content.group_key,
                Notification.read.is_(False),
            )
            .returning(Notification.user_id, Notification.id)
        )
    ).all()
    return [(int(r[0]), int(r[1])) for r in rows]


async def enforce_retention(
    session: AsyncSession, *, caps: dict[int, int]
) -> list[tuple[int, int]]:
    """Keep at most ``cap`` notifications per user: oldest read ones go first."""
    removed: list[tuple[int, int]] = []
    for user_id, cap in caps.items():
        total = int(
            await session.scalar(select(func.count()).where(Notification.user_id == user_id)) or 0
        )
        excess = total - cap
        if excess <= 0:
            continue
        victims = (
            await session.scalars(
                select(Notification.id)
                .where(Notification.user_id == user_id)
                .order_by(Notification.read.desc(), Notification.id)
                .limit(excess)
            )
        ).all()
        await session.execute(delete(Notification).where(Notification.id.in_(victims)))
        await raise_replay_floor(session, user_id=user_id, removed_id=max(victims))
        removed.extend((user_id, vid) for vid in victims)
    return removed


async def channels_by_name(
    session: AsyncSession, names: Sequence[str]
) -> list[NotificationChannel]:
    """Active configured channels named by the caller; an unknown name is a 422."""
    if not names:
        return []
    rows = (
        await session.scalars(
            select(NotificationChannel).where(NotificationChannel.name.in_(list(names)))
        )
    ).all()
    by_name = {row.name: row for row in rows}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValidationFailed(f"Unknown channel(s): {missing}", field="body.channels")
    inactive = [n for n in names if not by_name[n].is_active]
    if inactive:
        raise ValidationFailed(f"Inactive channel(s): {inactive}", field="body.channels")
    return [by_name[n] for n in dict.fromkeys(names)]


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
) -> Select[Any]:
    query = query.where(Notification.user_id == user_id, visible(now))
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
    from wakedock.db.base import utcnow

    query = select(func.count()).where(
        Notification.user_id == user_id, Notification.read.is_(False), visible(now or utcnow())
    )
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a user's live stream stands for a socket that opens or resumes."""

    unread: int
    newest: int  # the last position given in the stream (0: none yet)
    floor: int  # the highest id removed by clean-up: resuming below it needs a reset
    after: int  # the client's position, for a resume after ``since`` (0 otherwise)


def _standing_statement() -> Any:
    """One statement for what a socket needs when it opens, with parameters ``user_id``,
    ``since`` and ``now``: built (and its cache key computed) once, not per connection.

    ``after`` is where a client that has seen notification ``since`` stands: its own position,
    if it was pushed; else (it reached the client over REST, or was deleted since) the last
    position below it given at creation: ids and positions grow together, so everything newer
    than the client's list is after it (a late one released by quiet hours may then come
    again, never miss)."""
    user_id: BindParameter[Any] = bindparam("user_id")
    since: BindParameter[Any] = bindparam("since")
    now: BindParameter[Any] = bindparam("now")
    notes = _notifications.c
    unread = (
        select(func.count())
        .select_from(_notifications)
        .where(notes.user_id == user_id, notes.read.is_(False), visible(now))
        .scalar_subquery()
    )
    newest = select(_states.c.last_seq).where(_states.c.user_id == user_id).scalar_subquery()
    floor = select(_states.c.replay_floor_id).where(_states.c.user_id == user_id).scalar_subquery()
    own = select(notes.seq).where(notes.user_id == user_id, notes.id == since).scalar_subquery()
    below = (
        select(func.max(notes.seq))
        .where(notes.user_id == user_id, notes.id <= since, notes.held.is_(False))
        .scalar_subquery()
    )
    return select(
        unread,
        func.coalesce(newest, 0),
        func.coalesce(floor, 0),
        func.coalesce(own, below, 0),
    )


_STANDING = _standing_statement()


async def standing(
    session: AsyncSession, *, user_id: int, since: int | None, now: datetime
) -> Standing:
    """The user's unread count and stream positions, in one round trip (``since`` None: not
    resuming, ``after`` is 0)."""
    row = (
        await session.execute(_STANDING, {"user_id": user_id, "since": since or 0, "now": now})
    ).one()
    unread, newest, floor, after = row
    return Standing(int(unread), int(newest), int(floor), int(after) if since is not None else 0)


_STREAM_END = 2**62  # ``before_seq`` when the listing is not bounded (positions are BIGINT)
# Built once: a replay or gap fill runs it per socket, and building and keying the statement
# cost more than SQLite's part of running it.
_STREAM = (
    select(Notification)
    .where(
        Notification.user_id == bindparam("user_id"),
        Notification.seq > bindparam("after_seq"),
        Notification.seq < bindparam("before_seq"),
        visible(bindparam("now")),
    )
    .order_by(Notification.seq)
    .limit(bindparam("limit"))
)


async def list_stream(
    session: AsyncSession,
    *,
    user_id: int,
    after_seq: int,
    limit: int,
    now: datetime,
    before_seq: int | None = None,
) -> Sequence[Notification]:
    """The user's pushed notifications after position ``after_seq`` (and before
    ``before_seq``), in stream order: what a resuming or lagging socket missed."""
    parameters = {
        "user_id": user_id,
        "after_seq": after_seq,
        "before_seq": _STREAM_END if before_seq is None else before_seq,
        "now": now,
        "limit": limit,
    }
    return (await session.scalars(_STREAM, parameters)).all()


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


# ---------------------------------------------------------------- changing


async def set_read(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    ids: Sequence[int] | None,
    read: bool,
    now: datetime,
    type: str | None = None,
    action: str,
) -> ReadResult:
    """Mark the given ids (or all, when ``ids`` is None) read or unread. Others' ids are ignored."""
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
    return ReadResult(changed_ids, await unread_count(session, user_id=user_id, now=now))


async def mark_read(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    ids: Sequence[int],
    now: datetime | None = None,
) -> ReadResult:
    from wakedock.db.base import utcnow

    return await set_read(
        session,
        actor=actor,
        user_id=user_id,
        ids=ids,
        read=True,
        now=now or utcnow(),
        action="notification.read",
    )


async def mark_all_read(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    type: str | None = None,
    now: datetime | None = None,
) -> ReadResult:
    from wakedock.db.base import utcnow

    return await set_read(
        session,
        actor=actor,
        user_id=user_id,
        ids=None,
        read=True,
        now=now or utcnow(),
        type=type,
        action="notification.read_all",
    )


async def purge_expired(session: AsyncSession, *, now: datetime, limit: int = 1000) -> int:
    """Delete expired notifications (their pending deliveries go with them)."""
    rows = (
        await session.execute(
            select(Notification.id, Notification.user_id)
            .where(Notification.expires_at.is_not(None), Notification.expires_at <= now)
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    floors: dict[int, int] = {}
    for nid, uid in rows:
        floors[uid] = max(floors.get(uid, 0), int(nid))
    await session.execute(delete(Notification).where(Notification.id.in_([r[0] for r in rows])))
    for uid, nid in floors.items():
        await raise_replay_floor(session, user_id=uid, removed_id=nid)
    await session.commit()
    return len(rows)
