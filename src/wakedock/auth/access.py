"""Credentials accepted earlier, checked again: are they still valid, what do they allow now.

A socket is authenticated once and stays open for hours; the real-time hub asks here, through
auth's own read API instead of auth's tables, whether its sockets' credentials still hold: in
bulk every revalidation interval (``alive``), and for one user when an auth event says their
roles changed (``permissions``). The rules are those of ``sessions.authenticate``: a disabled
user, a revoked session, a deleted or expired API token are dead; an API token's scopes only
ever narrow what the owner's current roles grant.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.auth import directory
from wakedock.auth.models import ApiToken, AuthSession, UserRole
from wakedock.auth.permissions import Permission, permissions_for, token_permissions


@dataclass(frozen=True, slots=True)
class Alive:
    """Of the ids asked about, those still valid."""

    users: frozenset[int]  # exist and are active
    sessions: frozenset[str]  # not revoked
    api_tokens: frozenset[int]  # exist and have not expired


async def alive(
    session: AsyncSession,
    *,
    user_ids: Collection[int],
    session_ids: Collection[str],
    api_token_ids: Collection[int],
    now: datetime,
) -> Alive:
    """Which of these users, login sessions and API tokens are still valid (three reads)."""
    users = await directory.active_ids(session, user_ids=user_ids)
    sessions: set[str] = set()
    tokens: set[int] = set()
    if session_ids:
        query_s = select(AuthSession.id).where(
            AuthSession.id.in_(list(session_ids)), AuthSession.revoked_at.is_(None)
        )
        sessions = set((await session.scalars(query_s)).all())
    if api_token_ids:
        query_t = select(ApiToken.id).where(
            ApiToken.id.in_(list(api_token_ids)),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
        tokens = set((await session.scalars(query_t)).all())
    return Alive(frozenset(users), frozenset(sessions), frozenset(tokens))


async def permissions(
    session: AsyncSession,
    *,
    user_id: int,
    session_id: str | None,
    api_token_id: int | None,
    now: datetime,
) -> frozenset[Permission] | None:
    """What ``user_id`` may do now through that login session or API token; None when the
    credentials are no longer valid."""
    found = await alive(
        session,
        user_ids=(user_id,),
        session_ids=(session_id,) if session_id is not None else (),
        api_token_ids=(api_token_id,) if api_token_id is not None else (),
        now=now,
    )
    if (
        user_id not in found.users
        or (session_id is not None and session_id not in found.sessions)
        or (api_token_id is not None and api_token_id not in found.api_tokens)
    ):
        return None
    roles = (await session.scalars(select(UserRole.role).where(UserRole.user_id == user_id))).all()
    if api_token_id is None:
        return permissions_for(roles)
    token = await session.get(ApiToken, api_token_id)
    if token is None or token.user_id != user_id:
        return None
    return token_permissions(roles, token.scopes)
