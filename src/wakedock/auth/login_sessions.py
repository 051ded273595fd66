"""The caller's own login sessions: which are live, and signing out all but the current one.

A session is live while it is not revoked and holds an unused, unexpired refresh token (an
access token outlives it by at most its TTL). Only the session's id, start, last refresh, address
and user agent are shown: never a token."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import events
from wakedock.auth.models import AuthSession, RefreshToken
from wakedock.auth.service import revoke_sessions
from wakedock.broker import Broker
from wakedock.db.base import utcnow
from wakedock.errors import ValidationFailed

MAX_LISTED = 200


class LoginSessionOut(BaseModel):
    id: str
    created_at: datetime
    last_active_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


class RevokedSessions(BaseModel):
    revoked: int


async def list_live(
    session: AsyncSession, *, user_id: int, current_session_id: str | None
) -> list[LoginSessionOut]:
    """The user's live sessions, the most recently active first."""
    now = utcnow()
    last_active = func.max(RefreshToken.created_at).label("last_active_at")
    live_token = (RefreshToken.used_at.is_(None)) & (RefreshToken.expires_at > now)
    rows = (
        await session.execute(
            select(AuthSession, last_active)
            .join(RefreshToken, RefreshToken.session_id == AuthSession.id)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .group_by(AuthSession.id)
            .having(func.sum(case((live_token, 1), else_=0)) > 0)
            .order_by(last_active.desc(), AuthSession.id)
            .limit(MAX_LISTED)
        )
    ).all()
    return [
        LoginSessionOut(
            id=s.id,
            created_at=s.created_at,
            last_active_at=last,
            ip=s.ip,
            user_agent=s.user_agent,
            current=s.id == current_session_id,
        )
        for s, last in rows
    ]


async def revoke_others(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    current_session_id: str | None,
    broker: Broker | None = None,
) -> RevokedSessions:
    """Sign out every session of the user but the caller's (which must be a login session:
    an API token has none to keep). Audited; the revoked sessions' sockets close at once."""
    if current_session_id is None:
        raise ValidationFailed(
            "Signing out other sessions needs a login session, not an API token",
            code="login_session_required",
        )
    others = (
        await session.execute(
            select(func.count())
            .select_from(AuthSession)
            .where(
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.id != current_session_id,
            )
        )
    ).scalar_one()
    await revoke_sessions(
        session,
        user_id=user_id,
        reason="signed_out_elsewhere",
        except_session_id=current_session_id,
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.AUTH_SESSIONS_REVOKE_OTHERS,
        resource_type="user",
        resource_id=user_id,
        details={"revoked": others},
    )
    await session.commit()
    if others:
        await events.publish(
            broker,
            events.SessionsRevoked(
                user_id=user_id,
                except_session_id=current_session_id,
                reason="signed out from another session",
            ),
        )
    return RevokedSessions(revoked=others)
