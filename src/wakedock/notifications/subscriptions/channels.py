"""Which delivery channels a topic subscription may name, and whose notifications they reach.

A subscription's channels reach the subscriber's own copy of a topic notification, nobody
else's (they used to be added to every recipient's copy). E-mail and web push channels deliver
to the recipient (their address, their browsers): any subscriber may name them. Webhook and
Apprise channels deliver to one destination an admin configured: naming them, in a create or
in a subscription, needs notifications:send. That is checked when a subscription is written
(create and PATCH) and again at every send, so a subscriber demoted since stops reaching them.

Issue 17: a plain user's subscription named an admin's webhook (201), which then received the
topic's notifications, every recipient's copy, on behalf of a user without notifications:send.
Without notifications:send, a webhook or Apprise channel is refused exactly like an unknown
name, so the answer does not tell a plain user which admin channels exist.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.auth import service as users
from wakedock.auth.permissions import Permission, permissions_for
from wakedock.auth.principal import Principal
from wakedock.errors import ValidationFailed
from wakedock.notifications.models import NotificationChannel
from wakedock.notifications.states import ChannelKind
from wakedock.notifications.store import channels_by_name
from wakedock.wording import named

# Channel types whose deliveries go to the recipient themselves.
PERSONAL_TYPES = frozenset({ChannelKind.EMAIL, ChannelKind.WEBPUSH})


async def check_nameable(
    session: AsyncSession, names: Sequence[str], *, principal: Principal
) -> None:
    """422 (on ``body.channels``) unless every name is an active channel the caller may name."""
    if not names:
        return
    if principal.has(Permission.NOTIFICATIONS_SEND):
        await channels_by_name(session, names)
        return
    rows = await _by_name(session, names)
    usable = {name: row for name, row in rows.items() if row.type in PERSONAL_TYPES}
    refused = [name for name in dict.fromkeys(names) if name not in usable]
    if refused:
        raise ValidationFailed(
            named("Unknown channel", refused)
            + " (without notifications:send a subscription may name e-mail and web push "
            "channels only)",
            field="body.channels",
        )
    inactive = [name for name in dict.fromkeys(names) if not usable[name].is_active]
    if inactive:
        raise ValidationFailed(named("Inactive channel", inactive), field="body.channels")


async def reached(
    session: AsyncSession, wanted: Mapping[int, Collection[str]]
) -> dict[int, list[NotificationChannel]]:
    """For each subscriber, the channels their matching subscriptions name that still exist,
    are active and that they may still name. A missing one is skipped: one subscriber's stale
    subscription never fails the sender's create."""
    names = sorted({name for wants in wanted.values() for name in wants})
    if not names:
        return {}
    rows = {n: row for n, row in (await _by_name(session, names)).items() if row.is_active}
    shared = {
        uid
        for uid, wants in wanted.items()
        if any(n in rows and rows[n].type not in PERSONAL_TYPES for n in wants)
    }
    roles = await users.roles_of(session, user_ids=shared)
    senders = {
        uid
        for uid in shared
        if Permission.NOTIFICATIONS_SEND in permissions_for(roles.get(uid, ()))
    }
    result: dict[int, list[NotificationChannel]] = {}
    for uid, wants in wanted.items():
        channels = [
            rows[n]
            for n in sorted(set(wants))
            if n in rows and (rows[n].type in PERSONAL_TYPES or uid in senders)
        ]
        if channels:
            result[uid] = channels
    return result


async def _by_name(session: AsyncSession, names: Sequence[str]) -> dict[str, NotificationChannel]:
    query = select(NotificationChannel).where(NotificationChannel.name.in_(list(set(names))))
    return {row.name: row for row in (await session.scalars(query)).all()}
