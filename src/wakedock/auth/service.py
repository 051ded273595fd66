"""User accounts: create, read, update, disable, delete.

A change that revokes or narrows credentials (disabling, a new password, new roles, deletion)
is published as an auth event after the commit (``auth.events``), so open sockets on every
process act on it at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import events
from wakedock.auth.models import AuthSession, User, UserRole
from wakedock.auth.passwords import hash_password
from wakedock.auth.permissions import Role
from wakedock.broker import Broker
from wakedock.db.base import utcnow
from wakedock.errors import Conflict, NotFound


async def get(session: AsyncSession, *, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_or_raise(session: AsyncSession, *, user_id: int) -> User:
    user = await get(session, user_id=user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def get_by_login(session: AsyncSession, *, login: str) -> User | None:
    """Find a user by username, or by e-mail address (case-insensitive)."""
    query = select(User).where(or_(User.username == login, User.email == login.lower()))
    return (await session.scalars(query)).first()


async def get_by_username(session: AsyncSession, *, username: str) -> User | None:
    return (await session.scalars(select(User).where(User.username == username))).first()


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def list_users(
    session: AsyncSession, *, limit: int, after_id: int | None = None
) -> Sequence[User]:
    query = select(User).order_by(User.id).limit(limit)
    if after_id is not None:
        query = query.where(User.id > after_id)
    return (await session.scalars(query)).all()


async def roles_of(session: AsyncSession, *, user_ids: Collection[int]) -> dict[int, list[str]]:
    """Each given user's roles (a user without any is left out)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(list(user_ids)))
    )
    roles: dict[int, list[str]] = {}
    for user_id, role in rows:
        roles.setdefault(user_id, []).append(role)
    return roles


async def _ensure_unique(
    session: AsyncSession, *, username: str | None, email: str | None, exclude_id: int | None
) -> None:
    checks = (
        (User.username, username, "Username already taken", "username_taken"),
        (User.email, email, "E-mail address already in use", "email_taken"),
    )
    for column, value, message, code in checks:
        if value is None:
            continue
        query = select(User.id).where(column == value)
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if await session.scalar(query) is not None:
            raise Conflict(message, code=code)


async def create(
    session: AsyncSession,
    *,
    actor: AuditActor,
    username: str,
    email: str,
    password: str,
    roles: Sequence[str] = (Role.USER,),
    timezone: str = "UTC",
) -> User:
    """Create a user and commit; 409 when the username or e-mail is taken."""
    email = email.lower()
    await _ensure_unique(session, username=username, email=email, exclude_id=None)
    user = User(
        username=username,
        email=email,
        password_hash=await hash_password(password),
        timezone=timezone,
        role_rows=[UserRole(role=str(role)) for role in sorted(set(roles))],
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict("Username or e-mail already in use", code="user_exists") from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_CREATE,
        resource_type="user",
        resource_id=user.id,
        details={"username": username, "roles": sorted(str(r) for r in set(roles))},
    )
    await session.commit()
    return user


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user: User,
    email: str | None = None,
    roles: Sequence[str] | None = None,
    is_active: bool | None = None,
    timezone: str | None = None,
    password: str | None = None,
    action: AuditAction = AuditAction.USER_UPDATE,
    keep_session_id: str | None = None,
    broker: Broker | None = None,
) -> User:
    """Apply the given changes and commit. Disabling revokes every login session at once;
    what revokes or narrows credentials is then published on ``broker``."""
    changed: dict[str, object] = {}
    if email is not None and email.lower() != user.email:
        await _ensure_unique(session, username=None, email=email.lower(), exclude_id=user.id)
        user.email = email.lower()
        changed["email"] = user.email
    if roles is not None and sorted(set(map(str, roles))) != user.roles:
        user.role_rows = [UserRole(role=role) for role in sorted(set(map(str, roles)))]
        changed["roles"] = sorted(set(map(str, roles)))
    if timezone is not None and timezone != user.timezone:
        user.timezone = timezone
        changed["timezone"] = timezone
    if password is not None:
        user.password_hash = await hash_password(password)
        changed["password"] = "changed"
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        changed["is_active"] = is_active
        if not is_active:
            await revoke_sessions(session, user_id=user.id, reason="user_disabled")
    if password is not None:
        # A new password ends every other login.
        await revoke_sessions(
            session, user_id=user.id, reason="password_changed", except_session_id=keep_session_id
        )
    audit.record(
        session,
        actor=actor,
        action=action,
        resource_type="user",
        resource_id=user.id,
        details={"changes": changed},
    )
    await session.commit()
    published: list[events.AuthEvent] = []
    if changed.get("is_active") is False:
        published.append(events.UserDisabled(user_id=user.id))
    if password is not None:
        published.append(
            events.SessionsRevoked(
                user_id=user.id, except_session_id=keep_session_id, reason="password changed"
            )
        )
    if "roles" in changed:
        published.append(events.RolesChanged(user_id=user.id))
    await events.publish(broker, *published)
    await session.refresh(user)
    return user


async def delete(
    session: AsyncSession, *, actor: AuditActor, user: User, broker: Broker | None = None
) -> None:
    """Delete the user (their sessions, tokens and notifications go with them) and commit."""
    user_id = user.id
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_DELETE,
        resource_type="user",
        resource_id=user.id,
        details={"username": user.username},
    )
    await session.delete(user)
    await session.commit()
    await events.publish(broker, events.UserDeleted(user_id=user_id))


async def revoke_sessions(
    session: AsyncSession, *, user_id: int, reason: str, except_session_id: str | None = None
) -> None:
    query = (
        sql_update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if except_session_id is not None:
        query = query.where(AuthSession.id != except_session_id)
    await session.execute(query)
