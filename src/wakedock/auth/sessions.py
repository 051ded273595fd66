"""Logins: password check with throttling, rotating refresh tokens, logout, token resolution."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import ACTOR_NAME_LENGTH, AuditActor
from wakedock.auth import api_tokens, events
from wakedock.auth.models import AuthSession, RefreshToken, User, UserRole
from wakedock.auth.passwords import hash_password, needs_rehash, verify_password
from wakedock.auth.permissions import permissions_for
from wakedock.auth.principal import Principal
from wakedock.auth.schemas import TokenPair
from wakedock.auth.service import get_by_login
from wakedock.auth.tokens import (
    API_TOKEN_PREFIX,
    REFRESH_TOKEN_PREFIX,
    decode_access_token,
    issue_access_token,
    new_opaque_token,
    new_session_id,
    sha256,
)
from wakedock.broker import Broker
from wakedock.db.base import utcnow
from wakedock.errors import RateLimited, Unauthorized
from wakedock.settings import Settings

LOGIN_ACTION = AuditAction.AUTH_LOGIN


def throttle_key(login: str, user: User | None) -> str:
    """Whose failures a login attempt counts toward: the account the name or e-mail resolves to
    (its username: usernames never change, one per account), else the typed name normalised
    (NFKC, trimmed, case-folded) so the spellings of one unknown name share a counter too.

    Issue 17: counting the typed name let ``VICTIM2@EXAMPLE.COM`` and ``Victim2@example.com``
    each try 5 passwords after ``victim2`` was blocked, and log in with the right one. The key
    is stored as the failed event's ``actor_name``, whose (actor_name, at) index serves the
    count; a key longer than the column keeps a prefix and a hash of the rest."""
    if user is not None:
        return user.username
    key = unicodedata.normalize("NFKC", login).strip().casefold()
    if len(key) > _KEY_MAX:
        key = key[: _KEY_MAX - 9] + "~" + sha256(key)[:8]
    return key


_KEY_MAX = ACTOR_NAME_LENGTH  # audit_events.actor_name


async def check_throttle(
    session: AsyncSession, settings: Settings, *, key: str, ip: str | None
) -> None:
    """Refuse a login when too many recent failures came for this account or from this
    address."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    now = utcnow()
    checks: list[tuple[dict[str, str], int]] = [
        ({"actor_name": key}, settings.login_max_failures_per_user)
    ]
    if ip:
        checks.append(({"ip": ip}, settings.login_max_failures_per_ip))
    for filters, limit in checks:
        failures, oldest = await audit.count_failures_since(
            session, action=LOGIN_ACTION, since=now - window, **filters
        )
        if failures >= limit and oldest is not None:
            retry_after = max(1, math.ceil((oldest + window - now).total_seconds()))
            raise RateLimited("Too many failed logins; try again later", retry_after=retry_after)


async def _start_session(
    session: AsyncSession, settings: Settings, *, user: User, meta: AuditActor
) -> TokenPair:
    auth_session = AuthSession(
        id=new_session_id(), user_id=user.id, ip=meta.ip, user_agent=meta.user_agent
    )
    session.add(auth_session)
    return _issue_pair(session, settings, user_id=user.id, session_id=auth_session.id)


def _issue_pair(
    session: AsyncSession, settings: Settings, *, user_id: int, session_id: str
) -> TokenPair:
    refresh = new_opaque_token(REFRESH_TOKEN_PREFIX)
    session.add(
        RefreshToken(
            session_id=session_id,
            token_hash=sha256(refresh),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    access = issue_access_token(
        secret=settings.resolved_secret_key,
        user_id=user_id,
        session_id=session_id,
        ttl_seconds=settings.access_token_ttl_seconds,
    )
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl_seconds
    )


async def check_password(
    session: AsyncSession,
    settings: Settings,
    *,
    login: str,
    password: str,
    meta: AuditActor,
    method: str | None = None,
) -> User:
    """The account whose name (or e-mail) and password these are, throttled like a login and
    each failure audited and counted as one (``auth.login``, success=False); else a 401.
    Opens no session: protocols that send a password with each request (Gotify's basic auth)
    use it through ``auth.basic``, ``method`` "basic" in the failures' details)."""
    user = await get_by_login(session, login=login)
    key = throttle_key(login, user)
    await check_throttle(session, settings, key=key, ip=meta.ip)
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        reason = "unknown_user" if user is None else ("bad_password" if not ok else "disabled")
        audit.record(
            session,
            actor=AuditActor(
                user_id=user.id if user else None,
                username=key,
                ip=meta.ip,
                user_agent=meta.user_agent,
            ),
            action=LOGIN_ACTION,
            resource_type="user",
            resource_id=user.id if user else None,
            success=False,
            # The spelling tried, when it is not the key itself.
            details={
                "reason": reason,
                **({"login": login} if login != key else {}),
                **({"method": method} if method else {}),
            },
        )
        await session.commit()
        raise Unauthorized("Invalid username or password", code="invalid_credentials")
    return user


async def login(
    session: AsyncSession, settings: Settings, *, login: str, password: str, meta: AuditActor
) -> TokenPair:
    """Check the password and open a session. Every outcome is audited; failures count toward
    the resolved account (``throttle_key``) and the address."""
    user = await check_password(session, settings, login=login, password=password, meta=meta)
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    user.last_login_at = utcnow()
    pair = await _start_session(session, settings, user=user, meta=meta)
    audit.record(
        session,
        actor=AuditActor(user.id, user.username, meta.ip, meta.user_agent),
        action=LOGIN_ACTION,
        resource_type="user",
        resource_id=user.id,
    )
    await session.commit()
    return pair


async def refresh(
    session: AsyncSession,
    settings: Settings,
    *,
    refresh_token: str,
    meta: AuditActor,
    broker: Broker | None = None,
) -> TokenPair:
    """Rotate a refresh token. Presenting a used one revokes its whole session (theft signal)."""
    row = (
        await session.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, RefreshToken.session_id == AuthSession.id)
            .join(User, AuthSession.user_id == User.id)
            .where(RefreshToken.token_hash == sha256(refresh_token))
        )
    ).first()
    if row is None:
        raise Unauthorized("Invalid refresh token", code="invalid_refresh_token")
    token, auth_session, user = row
    now = utcnow()
    if token.used_at is not None and _within_grace(token.used_at, now, settings):
        # Rotated a moment ago (a refresh whose answer the tab never stored): another pair of
        # the same session, nothing revoked. The successor issued then stays valid too.
        if auth_session.revoked_at is not None or not user.is_active:
            raise Unauthorized("Session revoked", code="session_revoked")
        pair = _issue_pair(session, settings, user_id=user.id, session_id=auth_session.id)
        await session.commit()
        return pair
    if token.used_at is not None:
        if auth_session.revoked_at is None:
            auth_session.revoked_at = now
            auth_session.revoked_reason = "refresh_token_reused"
        audit.record(
            session,
            actor=AuditActor(user.id, user.username, meta.ip, meta.user_agent),
            action=AuditAction.AUTH_REFRESH,
            resource_type="session",
            resource_id=auth_session.id,
            success=False,
            details={"reason": "refresh_token_reused"},
        )
        await session.commit()
        await events.publish(
            broker,
            events.SessionsRevoked(
                user_id=user.id, session_id=auth_session.id, reason="refresh token reused"
            ),
        )
        raise Unauthorized(
            "Refresh token already used; the session has been revoked",
            code="refresh_token_reused",
        )
    if auth_session.revoked_at is not None or not user.is_active:
        raise Unauthorized("Session revoked", code="session_revoked")
    if token.expires_at <= now:
        raise Unauthorized("Refresh token expired", code="refresh_token_expired")
    # Conditional update: of two concurrent refreshes with one token, exactly one wins.
    claimed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        await session.rollback()
        if settings.refresh_reuse_grace_seconds > 0:  # a concurrent refresh won: within grace
            return await refresh(
                session, settings, refresh_token=refresh_token, meta=meta, broker=broker
            )
        raise Unauthorized("Refresh token already used", code="refresh_token_reused")
    pair = _issue_pair(session, settings, user_id=user.id, session_id=auth_session.id)
    await session.commit()
    return pair


def _within_grace(used_at: datetime, now: datetime, settings: Settings) -> bool:
    grace = settings.refresh_reuse_grace_seconds
    return grace > 0 and now - used_at <= timedelta(seconds=grace)


async def logout(
    session: AsyncSession,
    *,
    principal: Principal,
    meta: AuditActor,
    broker: Broker | None = None,
) -> None:
    """End the caller's session: its access and refresh tokens stop working at once, and its
    sockets close."""
    if principal.session_id is not None:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == principal.session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason="logout")
        )
    audit.record(
        session,
        actor=principal.acting(meta),
        action=AuditAction.AUTH_LOGOUT,
        resource_type="session",
        resource_id=principal.session_id,
    )
    await session.commit()
    if principal.session_id is not None:
        await events.publish(
            broker,
            events.SessionsRevoked(
                user_id=principal.user_id, session_id=principal.session_id, reason="logged out"
            ),
        )


# Built once (every request with an access token runs it): the user, the session's state and
# the user's roles (one row per role) in one round trip, as plain columns.
_users = User.__table__
_roles = UserRole.__table__
_sessions = AuthSession.__table__
_USER_AND_SESSION = (
    select(_users.c.username, _users.c.is_active, _sessions.c.revoked_at, _roles.c.role)
    .join(_sessions, _sessions.c.user_id == _users.c.id)
    .outerjoin(_roles, _roles.c.user_id == _users.c.id)
    .where(_users.c.id == bindparam("user_id"), _sessions.c.id == bindparam("session_id"))
)


async def authenticate(session: AsyncSession, settings: Settings, *, token: str) -> Principal:
    """Resolve a bearer token (access JWT or API token) to a principal, or raise 401."""
    if token.startswith(API_TOKEN_PREFIX):
        return await api_tokens.authenticate(session, token=token)
    claims = decode_access_token(token, secret=settings.resolved_secret_key)
    rows = (
        await session.execute(
            _USER_AND_SESSION, {"user_id": claims.user_id, "session_id": claims.session_id}
        )
    ).all()
    if not rows:
        raise Unauthorized("Invalid access token", code="invalid_token")
    username, is_active, revoked_at, _ = rows[0]
    if revoked_at is not None:
        raise Unauthorized("Session revoked", code="session_revoked")
    if not is_active:
        raise Unauthorized("User is disabled", code="user_disabled")
    roles = tuple(sorted(row[-1] for row in rows if row[-1] is not None))
    return Principal(
        user_id=claims.user_id,
        username=username,
        roles=roles,
        permissions=permissions_for(roles),
        session_id=claims.session_id,
    )


def token_expiry(token: str, settings: Settings) -> datetime | None:
    """When an access token expires, read from the token itself; None for an API token (its
    expiry is a row, checked by ``authenticate`` and again by the sockets' periodic check) and
    for a token that no longer decodes (``authenticate`` is the one that refuses it). The
    sockets close themselves at this time (4401)."""
    if token.startswith(API_TOKEN_PREFIX):
        return None
    try:
        return decode_access_token(token, secret=settings.resolved_secret_key).expires_at
    except Unauthorized:
        return None
