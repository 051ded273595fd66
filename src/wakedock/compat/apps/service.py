"""A user's connected apps: Gotify applications and clients (``compat.gotify``) and ntfy
access tokens. An ntfy access token is a WakeDock API token named ``ntfy: <name> #<hex>``
with the scopes its publish and subscribe choices need: ntfy clients send any WakeDock token,
so the name is what tells this page's tokens from the account's other ones."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit.context import AuditActor
from wakedock.auth import api_tokens
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.compat.gotify import applications, clients
from wakedock.compat.gotify.models import GotifyApplication, GotifyClient
from wakedock.errors import NotFound, ValidationFailed

NTFY_PREFIX = "ntfy: "
_NTFY_NAME = re.compile(r"^ntfy: (?P<name>.*) #[0-9a-f]{6}$", re.DOTALL)
NTFY_NOT_FOUND = "ntfy access token not found"


@dataclass(frozen=True, slots=True)
class Token:
    """What the page shows of an API token (never its hash)."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Listing:
    applications: list[tuple[GotifyApplication, Token]]
    clients: list[tuple[GotifyClient, Token]]
    ntfy_tokens: list[Token]


async def _tokens(session: AsyncSession, *, user_id: int) -> dict[int, Token]:
    return {
        t.id: Token(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            scopes=list(t.scopes or []),
            created_at=t.created_at,
            last_used_at=t.last_used_at,
        )
        for t in await api_tokens.list_for_user(session, user_id=user_id)
    }


def ntfy_label(token_name: str) -> str | None:
    """The name given to an ntfy access token, or None when the token is not one."""
    found = _NTFY_NAME.match(token_name)
    return found["name"] if found else None


async def listing(session: AsyncSession, *, user_id: int) -> Listing:
    tokens = await _tokens(session, user_id=user_id)
    apps = await applications.list_own(session, user_id=user_id)
    own_clients = await clients.list_own(session, user_id=user_id)
    return Listing(
        applications=[(a, tokens[a.api_token_id]) for a, _ in apps if a.api_token_id in tokens],
        clients=[(c, tokens[c.api_token_id]) for c, _ in own_clients if c.api_token_id in tokens],
        ntfy_tokens=[t for t in tokens.values() if ntfy_label(t.name) is not None],
    )


async def token_of(session: AsyncSession, *, user_id: int, token_id: int) -> Token:
    """One of the user's tokens (a create's answer shows its prefix and dates)."""
    token = (await _tokens(session, user_id=user_id)).get(token_id)
    if token is None:
        raise NotFound("API token not found")
    return token


def ntfy_scopes(*, publish: bool, subscribe: bool) -> list[Permission]:
    scopes = []
    if publish:
        scopes.append(Permission.NOTIFICATIONS_SEND)
    if subscribe:
        scopes.append(Permission.NOTIFICATIONS_READ)
    if not scopes:
        raise ValidationFailed(
            "An ntfy access token must allow publishing, subscribing or both", field="body.publish"
        )
    return scopes


async def create_ntfy_token(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    name: str,
    scopes: Sequence[Permission],
) -> tuple[Token, str]:
    """An API token for ntfy clients (audited as ``api_token.create``); publishing beyond the
    owner's roles is a 422 naming the scope."""
    made, plain = await api_tokens.create(
        session,
        actor=actor,
        user_id=principal.user_id,
        roles=principal.roles,
        name=f"{NTFY_PREFIX}{name[:80]} #{secrets.token_hex(3)}",
        scopes=scopes,
        caller=await api_tokens.caller_token(session, principal),
    )
    return await token_of(session, user_id=principal.user_id, token_id=made.id), plain


async def delete_ntfy_token(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    token_id: int,
    broker: Broker | None,
) -> None:
    """Revoke one of the user's ntfy access tokens (its streams close); any other token's id,
    or another user's, is a 404 here."""
    token = (await _tokens(session, user_id=user_id)).get(token_id)
    if token is None or ntfy_label(token.name) is None:
        raise NotFound(NTFY_NOT_FOUND)
    await api_tokens.delete(session, actor=actor, user_id=user_id, token_id=token_id, broker=broker)
