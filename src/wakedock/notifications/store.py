"""Storing creates: the rows of one or many creates in one statement per step.

A create (``sending``) resolves its content and recipients first; here its rows are written in
the transaction the caller commits: the recipients locked and given their stream positions
(``stream.lock_recipients``: the ordering contract is in ``wakedock.notifications.stream``),
their unread notifications of the same ``group_key`` replaced, every row inserted, and the
retention cap applied (raising the replay floor). Several creates batched by the group commit
are stored as if one after the other: their positions and ids follow the order given. Also the
idempotency window (a sender's key names its create for 24 hours) and the checks a create
makes on what it names (users, channels).

The statements are Core INSERTs on the table, not ORM objects: a multi-row INSERT ... RETURNING
id is a third of what adding objects and flushing them costs, and on SQLite it is one trip to
the connection's thread for the whole batch instead of one per row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.errors import ValidationFailed
from wakedock.notifications import sqlite_copies
from wakedock.notifications.models import Notification, NotificationChannel
from wakedock.notifications.schemas import NotificationType, Priority
from wakedock.notifications.stream import lock_recipients, raise_replay_floor
from wakedock.wording import named

IDEMPOTENCY_WINDOW = timedelta(hours=24)


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


# A create to a few users takes the multi-row INSERT (one trip to SQLite's thread, with its
# RETURNING); copies beyond this many, ``sqlite_copies``.
_BULK_FROM = 32


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
    session: AsyncSession, inserts: Sequence[Insert], *, by_user: bool = False
) -> list[tuple[list[Notification], list[tuple[int, int]]]]:
    """Lock every recipient, apply group_key replacement, insert every row. No commit.

    Several creates go in one statement each for the lock and the rows, as if inserted one
    after the other in the order given: their positions in a user's stream and their ids
    follow that order. Two of them must not share a group_key (the second would replace the
    first). ``by_user``: on SQLite, each user's rows are inserted together
    (``sqlite_copies``): each user's ids still follow the order given, but not across users.
    Returns each create's (notifications, replaced (user id, notification id))."""
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
    copies: list[tuple[dict[str, Any], list[tuple[int, int | None, bool]]]] = []
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
        copied: list[tuple[int, int | None, bool]] = []
        pushed, held = ins.pushed, ins.held
        for uid in sorted(set(ins.user_ids)):
            seq = None
            if uid in pushed:
                seq = next_seq[uid]
                next_seq[uid] = seq + 1
            copied.append((uid, seq, uid in held))
        copies.append((shared, copied))
    bind = session.bind
    count = sum(len(copied) for _, copied in copies)
    if count >= _BULK_FROM and bind is not None and bind.dialect.name == "sqlite":
        ids = iter(await sqlite_copies.insert_copies(session, copies, by_user=by_user))
    else:
        values = [
            {**shared, "user_id": uid, "seq": seq, "held": is_held}
            for shared, copied in copies
            for uid, seq, is_held in copied
        ]
        ids = iter(await _insert_rows(session, values))
    # The rows as objects for the callers (payloads, delivery plans); not in the session: the
    # INSERT above stored them.
    return [
        ([_inserted(next(ids), uid, seq, is_held, shared) for uid, seq, is_held in copied], gone)
        for (shared, copied), gone in zip(copies, replaced, strict=True)
    ]


class _Inserted:
    """A row just inserted, as the callers read it (payloads, delivery plans, answers): what
    differs between the copies of one content in slots, the rest read from the content's
    values, shared by its copies. Never added to a session, like the detached mapped object it
    stands for: a mapped instance costs its instance state (about 4 µs a row, 20 ms for a page
    of 5,000 broadcast copies), and a dict of every column a row cost a copy of them all."""

    __slots__ = ("_shared", "held", "id", "seq", "user_id")
    id: int
    user_id: int
    seq: int | None
    held: bool
    _shared: dict[str, Any]


def _shared_column(name: str) -> property:
    # A property, not ``__getattr__``: that runs only after a failed lookup has raised (and
    # formatted) an AttributeError, a microsecond each read, several reads a row.
    return property(lambda row: row._shared[name])


for _name in sqlite_copies.SHARED:
    if _name not in _Inserted.__slots__:
        setattr(_Inserted, _name, _shared_column(_name))


def _inserted(
    notification_id: int, user_id: int, seq: int | None, held: bool, shared: dict[str, Any]
) -> Notification:
    row = _Inserted()
    row.id, row.user_id, row.seq, row.held, row._shared = (
        notification_id, user_id, seq, held, shared
    )  # fmt: skip
    return cast(Notification, row)


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
        raise ValidationFailed(named("Unknown channel", missing), field="body.channels")
    inactive = [n for n in names if not by_name[n].is_active]
    if inactive:
        raise ValidationFailed(named("Inactive channel", inactive), field="body.channels")
    return [by_name[n] for n in dict.fromkeys(names)]
