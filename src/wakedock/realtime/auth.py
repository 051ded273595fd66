"""Who is on the other end of a socket: the same tokens as the REST API."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from wakedock.auth import sessions
from wakedock.auth.bearer import bearer_token
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.errors import Forbidden
from wakedock.settings import Settings


def token_from(conn: HTTPConnection) -> str | None:
    """``?token=`` (browsers cannot set headers on a WebSocket) or ``Authorization: Bearer``."""
    token = conn.query_params.get("token")
    if token:
        return token
    return bearer_token(conn.headers.get("authorization"))


async def authorize(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    token: str,
    user_id: int | None,
) -> Principal:
    """Authenticate (401) and check the caller may watch ``user_id`` (403; None: their own)."""
    async with sessionmaker() as session:
        principal = await sessions.authenticate(session, settings, token=token)
    refusal = watch_refusal(
        principal.permissions, principal.user_id, principal.user_id if user_id is None else user_id
    )
    if refusal is not None:
        raise Forbidden(refusal)
    return principal


def watch_refusal(
    permissions: Collection[Permission], principal_id: int, user_id: int
) -> str | None:
    """Why a user with ``permissions`` may not watch ``user_id``'s stream (None: they may).
    Checked when a socket opens and again when the watcher's roles change."""
    if Permission.NOTIFICATIONS_READ not in permissions:
        return "Missing permission: notifications:read"
    if principal_id != user_id and Permission.NOTIFICATIONS_ADMIN not in permissions:
        return "You may only listen to your own notifications"
    return None
