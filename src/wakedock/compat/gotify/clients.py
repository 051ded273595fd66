"""Gotify clients: a WakeDock API token that reads the owner's messages and manages their
applications and clients (scopes ``notifications:read`` and ``account:manage``, plus
``notifications:send`` when the owner holds it, so it can make topic-bound applications).
Made like an application's token (``applications``): hashed, audited, shown once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import api_tokens
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.compat.gotify.applications import token_name
from wakedock.compat.gotify.models import GotifyClient
from wakedock.errors import NotFound

NOT_FOUND = "client does not exist"
SCOPES = (Permission.NOTIFICATIONS_READ, Permission.ACCOUNT_MANAGE)


async def create(
    session: AsyncSession, *, principal: Principal, actor: AuditActor, name: str
) -> tuple[GotifyClient, str]:
    scopes = [*SCOPES]
    if principal.has(Permission.NOTIFICATIONS_SEND):
        scopes.append(Permission.NOTIFICATIONS_SEND)
    token, plain = await api_tokens.create(
        session,
        actor=actor,
        user_id=principal.user_id,
        roles=principal.roles,
        name=token_name("client", name),
        scopes=scopes,
        caller=await api_tokens.caller_token(session, principal),
        commit=False,
    )
    client = GotifyClient(user_id=principal.user_id, api_token_id=token.id, name=name)
    session.add(client)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.GOTIFY_CLIENT_CREATE,
        resource_type="gotify_client",
        resource_id=client.id,
        details={"name": name, "api_token_id": token.id},
    )
    await session.commit()
    return client, plain


async def list_own(
    session: AsyncSession, *, user_id: int
) -> list[tuple[GotifyClient, datetime | None]]:
    used = {t.id: t.last_used_at for t in await api_tokens.list_for_user(session, user_id=user_id)}
    query = select(GotifyClient).where(GotifyClient.user_id == user_id).order_by(GotifyClient.id)
    return [(c, used.get(c.api_token_id)) for c in (await session.scalars(query)).all()]


async def get_own(session: AsyncSession, *, user_id: int, client_id: int) -> GotifyClient:
    client = await session.get(GotifyClient, client_id)
    if client is None or client.user_id != user_id:
        raise NotFound(NOT_FOUND)
    return client


async def rename(
    session: AsyncSession, *, principal: Principal, actor: AuditActor, client_id: int, name: str
) -> GotifyClient:
    client = await get_own(session, user_id=principal.user_id, client_id=client_id)
    client.name = name
    audit.record(
        session,
        actor=actor,
        action=AuditAction.GOTIFY_CLIENT_UPDATE,
        resource_type="gotify_client",
        resource_id=client.id,
        details={"name": name},
    )
    await session.commit()
    await session.refresh(client)
    return client


async def delete(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    client_id: int,
    broker: Broker | None,
) -> None:
    """Delete the client and revoke its token: its open streams close at once."""
    client = await get_own(session, user_id=principal.user_id, client_id=client_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.GOTIFY_CLIENT_DELETE,
        resource_type="gotify_client",
        resource_id=client.id,
        details={"name": client.name},
    )
    token_id = client.api_token_id
    await session.delete(client)
    await api_tokens.delete(
        session, actor=actor, user_id=principal.user_id, token_id=token_id, broker=broker
    )
