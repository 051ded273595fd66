"""Read and change a user's notification preferences; decide what may be pushed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import directory
from wakedock.notifications.models import (
    NotificationChannel,
    NotificationPreferences,
    PushSubscription,
)
from wakedock.notifications.preferences.policy import Decision, Preferences, decide
from wakedock.notifications.preferences.schemas import PreferencesOut, PreferencesPatch
from wakedock.notifications.states import ChannelKind

__all__ = [
    "Decision",
    "Preferences",
    "Recipients",
    "decide",
    "get_many",
    "get_preferences",
    "recipients",
    "update",
]

_FIELDS = (
    "websocket_enabled",
    "email_enabled",
    "push_enabled",
    "quiet_hours_start",
    "quiet_hours_end",
    "timezone",
    "notification_types",
    "min_priority",
    "auto_mark_read",
    "max_notifications",
    "email_digest",
)


def _from_row(row: NotificationPreferences | None, user_timezone: str) -> Preferences:
    defaults = Preferences(timezone=user_timezone)
    if row is None:
        return defaults
    return Preferences(
        websocket_enabled=row.websocket_enabled,
        email_enabled=row.email_enabled,
        push_enabled=row.push_enabled,
        quiet_hours_start=row.quiet_hours_start,
        quiet_hours_end=row.quiet_hours_end,
        timezone=row.timezone or user_timezone,
        notification_types=tuple(row.notification_types)
        if row.notification_types is not None
        else defaults.notification_types,
        min_priority=row.min_priority,
        auto_mark_read=row.auto_mark_read,
        max_notifications=row.max_notifications,
        email_digest=row.email_digest,
    )


async def get_preferences(session: AsyncSession, *, user_id: int) -> Preferences:
    """The user's preferences, defaults where never saved (time zone: the user's)."""
    return (await get_many(session, user_ids=[user_id])).get(user_id, Preferences())


async def get_many(session: AsyncSession, *, user_ids: Sequence[int]) -> dict[int, Preferences]:
    """Preferences of many users in two queries (used by fan-out)."""
    if not user_ids:
        return {}
    rows = (
        await session.execute(
            select(_users.c.id, _users.c.timezone, NotificationPreferences)
            .select_from(_users)
            .outerjoin(NotificationPreferences, NotificationPreferences.user_id == _users.c.id)
            .where(_users.c.id.in_(user_ids))
        )
    ).all()
    return {uid: _from_row(prefs, zone) for uid, zone, prefs in rows}


@dataclass
class Recipients:
    """What planning deliveries needs to know about the recipients, read in one query."""

    prefs: dict[int, Preferences] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)  # existing, enabled users
    with_push: set[int] = field(default_factory=set)  # users with a web push subscription
    email_channel_id: int | None = None  # the default e-mail channel (see delivery.queue)


_users = directory.ACCOUNTS  # the public columns of auth's accounts (see directory)
_prefs = NotificationPreferences.__table__
_pushes = PushSubscription.__table__
_channels = NotificationChannel.__table__


def _recipient_columns(accounts: Any) -> tuple[Any, ...]:
    return (
        accounts.c.id,
        accounts.c.is_active,
        accounts.c.timezone,
        select(_pushes.c.id).where(_pushes.c.user_id == accounts.c.id).exists(),
        select(_channels.c.id)
        .where(_channels.c.type == ChannelKind.EMAIL, _channels.c.is_active.is_(True))
        .order_by(_channels.c.id)
        .limit(1)
        .scalar_subquery(),
        _prefs.c.user_id,
        *(_prefs.c[name] for name in _FIELDS),
    )


# A recipient's columns: its account's, whether it has a push subscription, the default e-mail
# channel, then its saved preferences (``add_recipient`` reads them). Also selected by
# ``sending``'s topic read, which joins a topic's subscribers to ``with_preferences``.
RECIPIENT_COLUMNS: tuple[Any, ...] = _recipient_columns(_users)


def with_preferences(accounts: Any) -> Any:
    """``accounts`` (a from clause holding ``directory.ACCOUNTS``) with each one's saved
    preferences, for ``RECIPIENT_COLUMNS``."""
    return accounts.outerjoin(_prefs, _prefs.c.user_id == _users.c.id)


def with_recipient(query: Select[Any], user_id: Any) -> Select[Any]:
    """``query`` with the ``RECIPIENT_COLUMNS`` of the user whose id its column ``user_id``
    holds, after its own columns (``recipient_of`` reads them): a request that reads its
    sender's row anyway (a Gotify application's token) has its one recipient, itself, read
    in the same round trip instead of a statement of its own."""
    recipient = _users.alias("recipient")
    accounts = recipient.outerjoin(_prefs, _prefs.c.user_id == recipient.c.id)
    return query.add_columns(*_recipient_columns(recipient)).join(
        accounts, recipient.c.id == user_id
    )


RECIPIENT_WIDTH = len(RECIPIENT_COLUMNS)


def recipient_of(row: Sequence[Any]) -> Recipients:
    """``recipients`` of one user, from its ``RECIPIENT_COLUMNS`` (``with_recipient``)."""
    result = Recipients()
    add_recipient(result, row, {})
    return result


def _recipients_query(one: bool) -> Any:
    """Built once per shape (every create runs one): plain table columns, not ORM attributes,
    so the session runs it as a Core statement; ``one``: the common single recipient, without
    an IN list expanded at each execution."""
    return (
        select(*RECIPIENT_COLUMNS)
        .select_from(with_preferences(_users))
        .where(
            _users.c.id == bindparam("id")
            if one
            else _users.c.id.in_(bindparam("ids", expanding=True))
        )
    )


_RECIPIENT = _recipients_query(one=True)
_RECIPIENTS = _recipients_query(one=False)


async def recipients(session: AsyncSession, *, user_ids: Sequence[int]) -> Recipients:
    """Preferences, active flags and push-subscription flags of the users, and the default
    e-mail channel's id: one round trip instead of four, read in the caller's transaction (so
    never stale, unlike an id cached across requests)."""
    result = Recipients()
    if not user_ids:
        return result
    if len(user_ids) == 1:
        rows = (await session.execute(_RECIPIENT, {"id": user_ids[0]})).all()
    else:
        rows = (await session.execute(_RECIPIENTS, {"ids": list(user_ids)})).all()
    alike: dict[Any, Preferences] = {}
    for row in rows:
        add_recipient(result, row, alike)
    return result


def add_recipient(result: Recipients, row: Sequence[Any], alike: dict[Any, Preferences]) -> None:
    """Add to ``result`` the recipient of a row of ``RECIPIENT_COLUMNS``. Recipients with equal
    preferences share one object, kept in ``alike`` (most have none set: the defaults in their
    time zone), so that a broadcast's decisions are made once per object."""
    uid, is_active, zone, pushes, channel_id, saved = row[:6]
    result.email_channel_id = channel_id
    if is_active:
        result.active.add(uid)
    if pushes:
        result.with_push.add(uid)
    if saved is None:
        prefs = alike.get(zone)
        if prefs is None:
            prefs = alike[zone] = Preferences(timezone=zone)
        result.prefs[uid] = prefs
        return
    values = dict(zip(_FIELDS, row[6:], strict=True))
    values["timezone"] = values["timezone"] or zone
    types = values["notification_types"]
    if types is None:
        del values["notification_types"]
    else:
        values["notification_types"] = tuple(types)
    prefs = Preferences(**values)
    result.prefs[uid] = alike.setdefault(prefs, prefs)


def to_out(prefs: Preferences, row: NotificationPreferences | None = None) -> PreferencesOut:
    data: dict[str, Any] = {name: getattr(prefs, name) for name in _FIELDS}
    data["notification_types"] = list(prefs.notification_types)
    return PreferencesOut(**data, updated_at=row.updated_at if row else None)


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    changes: PreferencesPatch,
    replace_all: bool,
) -> PreferencesOut:
    """PATCH (``replace_all=False``) changes the given fields; PUT resets the others."""
    row = await session.get(NotificationPreferences, user_id)
    current = await get_preferences(session, user_id=user_id)
    user_timezone = await directory.timezone_of(session, user_id=user_id)
    assert user_timezone is not None  # the caller is authenticated: the user exists
    base = Preferences(timezone=user_timezone) if replace_all else current
    given = changes.model_dump(exclude_unset=True)
    if "notification_types" in given and given["notification_types"] is not None:
        given["notification_types"] = tuple(str(t) for t in given["notification_types"])
    for key in ("min_priority", "email_digest"):
        if given.get(key) is not None:
            given[key] = str(given[key])
    # None means "default" for fields that cannot be null.
    nullable = {"quiet_hours_start", "quiet_hours_end", "max_notifications"}
    given = {k: v for k, v in given.items() if v is not None or k in nullable}
    if "timezone" in changes.model_fields_set and changes.timezone is None:
        given["timezone"] = user_timezone
    result = replace(base, **given)
    if row is None:
        row = NotificationPreferences(user_id=user_id)
        session.add(row)
    for name in _FIELDS:
        value = getattr(result, name)
        if name == "notification_types":
            value = list(value)
        if name == "timezone" and value == user_timezone:
            value = None  # follow the account's time zone when it changes
        setattr(row, name, value)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PREFERENCES_UPDATE,
        resource_type="notification_preferences",
        resource_id=user_id,
        details={
            "changes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in given.items()}
        },
    )
    await session.commit()
    await session.refresh(row)
    return to_out(result, row)


async def read(session: AsyncSession, *, user_id: int) -> PreferencesOut:
    row = await session.get(NotificationPreferences, user_id)
    return to_out(await get_preferences(session, user_id=user_id), row)
