"""Long-lived API tokens for scripts: hashed at rest, optionally scoped, shown once.

A token never mints a wider one: a create that an API token makes stays within that token's
permissions and expiry (a login session may create any token within the owner's roles).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    bindparam,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import events
from wakedock.auth.models import ApiToken, User, UserRole
from wakedock.auth.permissions import Permission, permissions_for, token_permissions
from wakedock.auth.principal import Principal
from wakedock.auth.tokens import API_TOKEN_PREFIX, new_opaque_token, sha256
from wakedock.broker import Broker
from wakedock.db.base import utcnow
from wakedock.db.engine import write_gate
from wakedock.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed

# Writing last_used_at on every request would turn reads into writes; once a minute is plenty.
_LAST_USED_RESOLUTION = timedelta(seconds=60)
# token hash -> when this process last wrote that token's last_used_at. The first burst of
# requests with a token (a thousand sockets of one client connecting) all see the column
# stale; only one of them writes it.
_touched: dict[str, datetime] = {}
_TOUCHED_MAX = 10_000


@dataclass(frozen=True, slots=True)
class CallerToken:
    """The API token a create request came with: the new token stays within it."""

    permissions: frozenset[Permission]
    expires_at: datetime | None


async def caller_token(session: AsyncSession, principal: Principal) -> CallerToken | None:
    """The limits of the API token ``principal`` authenticated with (None for a login session)."""
    if principal.api_token_id is None:
        return None
    expires_at = await session.scalar(
        select(ApiToken.expires_at).where(ApiToken.id == principal.api_token_id)
    )
    return CallerToken(permissions=principal.permissions, expires_at=expires_at)


def _within_caller(
    caller: CallerToken | None,
    scopes: Sequence[Permission] | None,
    expires_at: datetime | None,
) -> tuple[Sequence[Permission] | None, datetime | None]:
    """The scopes and expiry of a token created by ``caller``: never wider, never longer-lived.
    Like Vault's child tokens: asking for no scopes inherits the caller's, asking for more is
    refused (403 naming them); no expiry inherits the caller's, a later one is a 422."""
    if caller is None:
        return scopes, expires_at
    if scopes is None:
        scopes = sorted(caller.permissions)
    beyond = sorted(str(scope) for scope in set(scopes) - caller.permissions)
    if beyond:
        raise Forbidden(
            f"Scopes beyond the calling token's: {', '.join(beyond)}",
            code="missing_permission",
            details={"missing": beyond},
        )
    if caller.expires_at is not None:
        if expires_at is None:
            expires_at = caller.expires_at
        elif expires_at > caller.expires_at:
            raise ValidationFailed(
                f"expires_at is after the calling token's expiry ({caller.expires_at.isoformat()})",
                field="body.expires_at",
            )
    return scopes, expires_at


async def create(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    roles: Sequence[str],
    name: str,
    scopes: Sequence[Permission] | None = None,
    expires_at: datetime | None = None,
    caller: CallerToken | None = None,
    commit: bool = True,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plain token (the only time it exists). Its scopes
    may only narrow what the owner's roles grant (beyond them: 422) and, when an API token asks
    (``caller``), what that token may do (see ``_within_caller``)."""
    owned = permissions_for(roles)
    if scopes is not None:
        extra = sorted(str(scope) for scope in set(scopes) - owned)
        if extra:
            raise ValidationFailed(
                f"Scopes beyond your permissions: {', '.join(extra)}", field="body.scopes"
            )
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValidationFailed("expires_at needs a time zone offset", field="body.expires_at")
        if expires_at <= utcnow():
            raise ValidationFailed("expires_at is in the past", field="body.expires_at")
    scopes, expires_at = _within_caller(caller, scopes, expires_at)
    existing = await session.scalar(
        select(ApiToken.id).where(ApiToken.user_id == user_id, ApiToken.name == name)
    )
    if existing is not None:
        raise Conflict("You already have a token with this name", code="token_name_taken")
    plain = new_opaque_token(API_TOKEN_PREFIX)
    token = ApiToken(
        user_id=user_id,
        name=name,
        prefix=plain[: len(API_TOKEN_PREFIX) + 6],
        token_hash=sha256(plain),
        scopes=sorted(str(scope) for scope in set(scopes)) if scopes is not None else None,
        expires_at=expires_at,
    )
    session.add(token)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict("You already have a token with this name", code="token_name_taken") from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.API_TOKEN_CREATE,
        resource_type="api_token",
        resource_id=token.id,
        details={
            "name": name,
            "scopes": token.scopes,
            "owner_id": user_id,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    if commit:  # else the caller commits it with what it adds (a Gotify application)
        await session.commit()
    return token, plain


async def list_for_user(session: AsyncSession, *, user_id: int) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return (await session.scalars(query)).all()


async def delete(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    token_id: int,
    broker: Broker | None = None,
) -> None:
    """Revoke one of the user's tokens (its open sockets close); someone else's id is a 404."""
    token = await session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound("API token not found")
    audit.record(
        session,
        actor=actor,
        action=AuditAction.API_TOKEN_DELETE,
        resource_type="api_token",
        resource_id=token.id,
        details={"name": token.name},
    )
    await session.delete(token)
    await session.commit()
    await events.publish(broker, events.ApiTokenRevoked(user_id=user_id, api_token_id=token_id))


# Built once (every API request runs it). Plain columns, not ORM entities: the token, its
# owner and the owner's roles (one row per role) in one round trip, without loading objects.
_tokens = ApiToken.__table__
_users = User.__table__
_roles = UserRole.__table__
_BY_HASH = (
    select(
        _tokens.c.id,
        _tokens.c.expires_at,
        _tokens.c.last_used_at,
        _tokens.c.scopes,
        _users.c.id,
        _users.c.username,
        _users.c.is_active,
        _roles.c.role,
    )
    .join(_users, _tokens.c.user_id == _users.c.id)
    .outerjoin(_roles, _roles.c.user_id == _users.c.id)
    .where(_tokens.c.token_hash == bindparam("token_hash"))
)


def _due_for_touch(token_hash: str, last_used_at: datetime | None, now: datetime) -> bool:
    if last_used_at is not None and now - last_used_at <= _LAST_USED_RESOLUTION:
        return False
    written = _touched.get(token_hash)
    if written is not None and now - written <= _LAST_USED_RESOLUTION:
        return False
    if len(_touched) >= _TOUCHED_MAX:
        _touched.clear()  # at worst some tokens are written once more
    _touched[token_hash] = now
    return True


def with_row_of(table: FromClause, token_id: ColumnElement[int], *columns: str) -> Select[Any]:
    """The token's query with the row of ``table`` that belongs to the token (``token_id``,
    its column naming the token; outer joined: a row of nulls for a token without one), its
    ``columns`` (by name; all of them when none is named) after the token's. For
    ``authenticate_with``: a protocol whose credential is a token with a row of its own (a
    Gotify application) reads both in one round trip."""
    extra = [table.c[name] for name in columns] if columns else list(table.c)
    return _BY_HASH.add_columns(*extra).outerjoin(table, token_id == _tokens.c.id)


# The token's owner's id, for a ``with_row_of`` query that joins more of the owner's rows.
OWNER_ID: ColumnElement[int] = _tokens.c.user_id
_OWN_COLUMNS = len(_BY_HASH.selected_columns)  # the extra columns of ``with_row_of`` follow


async def authenticate(session: AsyncSession, *, token: str) -> Principal:
    return (await authenticate_with(session, token=token, query=_BY_HASH))[0]


async def authenticate_with(
    session: AsyncSession, *, token: str, query: Select[Any]
) -> tuple[Principal, tuple[Any, ...]]:
    """``authenticate`` through ``query`` (``_BY_HASH`` or one of ``with_row_of``): the
    principal and the extra columns' values (all None without a row)."""
    token_hash = sha256(token)
    rows = (await session.execute(query, {"token_hash": token_hash})).all()
    if not rows:
        raise Unauthorized("Invalid API token", code="invalid_token")
    roles = tuple(sorted(row[7] for row in rows if row[7] is not None))
    principal = await _principal(session, token_hash, rows[0], roles)
    return principal, tuple(rows[0][_OWN_COLUMNS:])


# ``_BY_HASH`` as one row whatever the owner's roles (aggregated, comma-separated: no role
# name holds a comma), its owner's table aliased: the anchor of ``beside``'s query.
_owners = _users.alias("owner")
_COMMA = cast(str, literal_column("','"))
_TOKEN_ROW = _tokens.join(_owners, _tokens.c.user_id == _owners.c.id)
_TOKEN_COLUMNS = (
    _tokens.c.id,
    _tokens.c.expires_at,
    _tokens.c.last_used_at,
    _tokens.c.scopes,
    _owners.c.id,
    _owners.c.username,
    _owners.c.is_active,
    # The separator written in the SQL: given as a string, it is bound as a literal that is
    # rendered into the statement's text at every execution (a regex pass over it).
    select(func.aggregate_strings(_roles.c.role, _COMMA))
    .where(_roles.c.user_id == _owners.c.id)
    .scalar_subquery(),
)


assert len(_TOKEN_COLUMNS) == _OWN_COLUMNS  # ``beside``'s rows: the other query's after them


def beside(query_at: Callable[[FromClause], Select[Any]]) -> Select[Any]:
    """The token's columns, then those of the query ``query_at`` builds on the token's row
    (the one row its FROM starts with; any number of rows joined to it): for
    ``authenticate_beside``. A request that reads those rows anyway (an ntfy publish: its
    topic's rule and subscribers) reads its credentials in the same round trip instead of a
    statement of their own."""
    query = query_at(_TOKEN_ROW)
    return (
        select(*_TOKEN_COLUMNS, *query.selected_columns)
        .select_from(*query.get_final_froms())
        .where(_tokens.c.token_hash == bindparam("token_hash"))
    )


async def authenticate_beside(
    session: AsyncSession, *, token: str, query: Select[Any], params: dict[str, Any]
) -> tuple[Principal, list[tuple[Any, ...]]]:
    """``authenticate`` through ``query`` (one of ``beside``, its parameters ``params``), with
    the same checks: the principal and the other query's rows."""
    token_hash = sha256(token)
    rows = (await session.execute(query, {**params, "token_hash": token_hash})).all()
    if not rows:
        raise Unauthorized("Invalid API token", code="invalid_token")
    named = rows[0][7]
    roles = tuple(sorted(named.split(","))) if named else ()
    principal = await _principal(session, token_hash, rows[0], roles)
    return principal, [tuple(row[_OWN_COLUMNS:]) for row in rows]


async def _principal(
    session: AsyncSession, token_hash: str, row: Any, roles: tuple[str, ...]
) -> Principal:
    """The checks of a token's row (its first seven columns: ``_BY_HASH``'s) and its owner's
    ``roles``: expired, owner disabled (401), its permissions; its last use noted."""
    token_id, expires_at, last_used_at, scopes, user_id, username, is_active = row[:7]
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise Unauthorized("API token expired", code="token_expired")
    if not is_active:
        raise Unauthorized("User is disabled", code="user_disabled")
    # Scopes only ever narrow: a demoted owner's token loses what the owner lost.
    permissions = token_permissions(roles, scopes)
    if _due_for_touch(token_hash, last_used_at, now):
        # Through the write gate: on SQLite a write outside it would wait in SQLite's busy
        # handler, holding a pooled connection, while creates hold the write lock.
        async with write_gate(session):
            await session.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
            await session.commit()
    return Principal(
        user_id=user_id,
        username=username,
        roles=roles,
        permissions=permissions,
        api_token_id=token_id,
    )
