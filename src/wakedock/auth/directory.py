"""Who the users are: auth's read API for the other domains, instead of auth's tables.

Notifications, delivery and broadcasts need to know which users exist and are active, who
holds a role, where to send an e-mail and a user's time zone; they ask here (enforced by the
import-linter contracts in pyproject.toml: nothing outside ``wakedock.auth`` imports
``auth.models``). What leaves this module is ids, a few public fields, or a selectable of
public columns, never a ``User`` row with its password hash.

Two answers are selectables rather than results, because a query elsewhere joins them:

- ``ACCOUNTS``: the ``users`` table limited to ``id``, ``is_active`` and ``timezone``. The
  create path reads its recipients' active flags and time zones joined with their preferences
  in one statement (``preferences.recipients``: a create is five statements); asking here
  first would add a round trip to every create. It compiles to the same SQL as the table.
- ``audience``: the ids of an audience's active users, in id order, which a broadcast counts
  and the worker pages through with a cursor, one batch per transaction.

Every read runs in the caller's session and transaction, so it sees what the caller wrote and
is never cached across requests.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.auth.models import User, UserRole

_users = User.__table__

# The public columns of an account, for a join in another domain's query (see above).
ACCOUNTS = table(
    User.__tablename__,
    *(column(c.name, c.type) for c in (_users.c.id, _users.c.is_active, _users.c.timezone)),
)


@dataclass(frozen=True, slots=True)
class Contact:
    """Where and how to address a user (e-mail delivery)."""

    email: str
    username: str


async def active_ids(session: AsyncSession, *, user_ids: Collection[int]) -> set[int]:
    """Of ``user_ids``, those that name an existing, active user (one read)."""
    if not user_ids:
        return set()
    query = select(User.id).where(User.id.in_(list(user_ids)), User.is_active.is_(True))
    return set((await session.scalars(query)).all())


async def holding_roles(
    session: AsyncSession, *, user_ids: Collection[int], roles: Collection[str]
) -> set[int]:
    """Of ``user_ids``, those holding any of ``roles`` (one read)."""
    if not user_ids or not roles:
        return set()
    query = select(UserRole.user_id).where(
        UserRole.user_id.in_(list(user_ids)), UserRole.role.in_(list(roles))
    )
    return set((await session.scalars(query)).all())


def audience(
    *,
    roles: Sequence[str] | None = None,
    user_ids: Sequence[int] | None = None,
    after_id: int | None = None,
) -> Select[int]:
    """Active users' ids in id order: those holding any of ``roles`` when given, else those of
    ``user_ids`` when given, else everyone; only ids above ``after_id`` (a paging cursor)."""
    query = select(User.id).where(User.is_active.is_(True))
    if roles:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    elif user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    query = query.order_by(User.id)
    if after_id is not None:
        query = query.where(User.id > after_id)
    return query


async def contact(session: AsyncSession, *, user_id: int) -> Contact | None:
    """The user's e-mail address and name; None for a user that no longer exists."""
    user = await session.get(User, user_id)
    return Contact(email=user.email, username=user.username) if user is not None else None


async def timezone_of(session: AsyncSession, *, user_id: int) -> str | None:
    """The user's own time zone (their preferences fall back to it); None when gone."""
    user = await session.get(User, user_id)
    return user.timezone if user is not None else None
