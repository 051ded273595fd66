"""Gotify applications: a WakeDock API token that may only publish, with a name.

The token is made by ``auth.api_tokens`` in the same transaction as the application (hashed,
audited, listed with the account's tokens; shown once, in the create's answer). Its scopes:
none for an application that publishes to its owner (sending to oneself needs none), and
``notifications:send`` for one bound to a topic (the owner must hold it). Deleting the
application revokes the token; revoking the token deletes the application.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import api_tokens
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.compat.gotify.models import GotifyApplication
from wakedock.errors import Forbidden, NotFound
from wakedock.notifications.topics import service as topic_access

NOT_FOUND = "application does not exist"


@dataclass(frozen=True, slots=True)
class Settings:
    name: str
    description: str
    default_priority: int
    topic: str | None


@dataclass(frozen=True, slots=True)
class Publisher:
    """An application as its publishes use it, read with its token (``credentials``): plain
    values, as an ORM instance costs a publish ~0.1 ms to make."""

    id: int
    name: str
    default_priority: int
    topic: str | None


def token_name(kind: str, name: str) -> str:
    """The API token's name among the account's tokens (unique: a random suffix)."""
    return f"Gotify {kind}: {name[:70]} #{secrets.token_hex(3)}"


async def _check_topic(session: AsyncSession, principal: Principal, topic: str | None) -> None:
    """Binding an application to a topic takes the right to publish to it (the topic's access
    rule; each message is checked again as it is sent)."""
    if topic is None:
        return
    if not principal.has(Permission.NOTIFICATIONS_SEND):
        raise Forbidden(
            "Publishing to a topic needs notifications:send",
            code="missing_permission",
            details={"missing": [Permission.NOTIFICATIONS_SEND.value]},
        )
    await topic_access.check_publish_to(session, principal, topic)


# Built once: every Gotify publish runs it.
_BY_TOKEN = select(GotifyApplication).where(
    GotifyApplication.api_token_id == bindparam("api_token_id")
)


async def by_token(session: AsyncSession, *, api_token_id: int) -> GotifyApplication | None:
    return (await session.scalars(_BY_TOKEN, {"api_token_id": api_token_id})).first()


async def create(
    session: AsyncSession, *, principal: Principal, actor: AuditActor, settings: Settings
) -> tuple[GotifyApplication, str]:
    """A new application and its token (the plain token: the only time it exists)."""
    await _check_topic(session, principal, settings.topic)
    token, plain = await api_tokens.create(
        session,
        actor=actor,
        user_id=principal.user_id,
        roles=principal.roles,
        name=token_name("application", settings.name),
        scopes=[Permission.NOTIFICATIONS_SEND] if settings.topic else [],
        caller=await api_tokens.caller_token(session, principal),
        commit=False,
    )
    app = GotifyApplication(
        user_id=principal.user_id,
        api_token_id=token.id,
        name=settings.name,
        description=settings.description,
        default_priority=settings.default_priority,
        topic=settings.topic,
    )
    session.add(app)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.GOTIFY_APPLICATION_CREATE,
        resource_type="gotify_application",
        resource_id=app.id,
        details={"name": app.name, "topic": app.topic, "api_token_id": token.id},
    )
    await session.commit()
    return app, plain


async def list_own(
    session: AsyncSession, *, user_id: int
) -> list[tuple[GotifyApplication, datetime | None]]:
    """The user's applications, each with when its token was last used."""
    used = {t.id: t.last_used_at for t in await api_tokens.list_for_user(session, user_id=user_id)}
    query = (
        select(GotifyApplication)
        .where(GotifyApplication.user_id == user_id)
        .order_by(GotifyApplication.id)
    )
    return [(app, used.get(app.api_token_id)) for app in (await session.scalars(query)).all()]


async def get_own(session: AsyncSession, *, user_id: int, app_id: int) -> GotifyApplication:
    app = await session.get(GotifyApplication, app_id)
    if app is None or app.user_id != user_id:
        raise NotFound(NOT_FOUND)
    return app


async def names(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(GotifyApplication.id, GotifyApplication.name).where(
        GotifyApplication.id.in_(ids)
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    app_id: int,
    settings: Settings,
) -> GotifyApplication:
    """Replace the name, description, default priority. The topic cannot change: a token's
    scopes are fixed, so binding a personal application to a topic needs a new application
    (a change of topic between two topics is allowed)."""
    app = await get_own(session, user_id=principal.user_id, app_id=app_id)
    if (app.topic is None) != (settings.topic is None):
        raise Forbidden(
            "An application's binding to a topic is set when it is created",
            code="topic_binding_fixed",
        )
    await _check_topic(session, principal, settings.topic)
    app.name = settings.name
    app.description = settings.description
    app.default_priority = settings.default_priority
    app.topic = settings.topic
    audit.record(
        session,
        actor=actor,
        action=AuditAction.GOTIFY_APPLICATION_UPDATE,
        resource_type="gotify_application",
        resource_id=app.id,
        details={"name": app.name, "topic": app.topic},
    )
    await session.commit()
    await session.refresh(app)
    return app


async def delete(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    app_id: int,
    broker: Broker | None,
) -> None:
    """Delete the application and revoke its token (one transaction). Its messages stay: they
    are notifications in their recipients' centres."""
    app = await get_own(session, user_id=principal.user_id, app_id=app_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.GOTIFY_APPLICATION_DELETE,
        resource_type="gotify_application",
        resource_id=app.id,
        details={"name": app.name},
    )
    token_id = app.api_token_id
    await session.delete(app)
    await api_tokens.delete(
        session, actor=actor, user_id=principal.user_id, token_id=token_id, broker=broker
    )
