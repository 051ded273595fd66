"""Who an ntfy client is, from the credentials it sends as ntfy clients send them.

``Authorization: Bearer <token>`` (a WakeDock API token, or an access token), ``Basic`` with a
username and password (checked as a login is: ``auth.basic``, throttled, failures audited) or
with an empty username and a token as the password, and ``?auth=`` carrying that header
base64-encoded (for clients that cannot set headers: browsers' EventSource and WebSocket).
Anonymous access is refused (401 in ntfy's shape), but for publishing to a topic an admin
opened to it (``router._anonymous``, ``notifications.topics``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from wakedock.audit.context import AuditActor, anonymous_actor
from wakedock.auth import api_tokens, basic, sessions
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.auth.tokens import API_TOKEN_PREFIX
from wakedock.compat.ntfy import errors
from wakedock.errors import WakeDockError
from wakedock.notifications import sending
from wakedock.settings import Settings


def _b64(text: str) -> str:
    """Standard or URL-safe base64, padded or not (ntfy's clients send raw URL-safe)."""
    text = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
    except (binascii.Error, ValueError):
        raise errors.unauthorized() from None


def authorization(conn: HTTPConnection) -> str | None:
    """The Authorization header's value, from the header or ``?auth=``."""
    # Without a query string, no ``?auth=``: not even a lookup (``query_params.get`` of a
    # missing name raises and catches a KeyError), as most publishes send none.
    encoded = conn.query_params.get("auth") if conn.scope.get("query_string") else None
    if encoded:
        return _b64(encoded)
    return conn.headers.get("authorization")


def authorization_of(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """``authorization`` from the headers (each name's first value) and the query parameters
    (each name's last), as the gateway's direct publish holds them."""
    encoded = query.get("auth")
    if encoded:
        return _b64(encoded)
    return headers.get("authorization")


async def principal(
    conn: HTTPConnection,
    session: AsyncSession,
    settings: Settings,
    *,
    needs: Permission | None = None,
) -> Principal:
    """The caller (401 in ntfy's shape without valid credentials, 403 without ``needs``)."""
    return await principal_of(
        authorization(conn), session, settings, meta=anonymous_actor(conn), needs=needs
    )


async def principal_of(
    header: str | None,
    session: AsyncSession,
    settings: Settings,
    *,
    meta: AuditActor,
    needs: Permission | None = None,
) -> Principal:
    """``principal`` given the Authorization value (``authorization``) and where the request
    comes from (a password's failures are audited with it)."""
    if not header:
        raise errors.unauthorized()
    scheme, _, value = header.strip().partition(" ")
    try:
        if scheme.lower() == "bearer" and value.strip():
            found = await sessions.authenticate(session, settings, token=value.strip())
        elif scheme.lower() == "basic":
            user, sep, password = _b64(value).partition(":")
            if not sep or not password:
                raise errors.unauthorized()
            if user == "":
                found = await sessions.authenticate(session, settings, token=password)
            else:
                found = await basic.authenticate(
                    session, settings, login=user, password=password, meta=meta
                )
        else:
            raise errors.unauthorized()
    except WakeDockError as exc:
        raise errors.from_wakedock(exc) from None
    if needs is not None and not found.has(needs):
        raise errors.forbidden()
    return found


# An ntfy publish's credentials read with its topic's rule and subscribers, in one statement.
_WITH_TOPIC = api_tokens.beside(sending.topic_read_at)


async def publisher(
    header: str, session: AsyncSession, settings: Settings, *, meta: AuditActor, topic: str | None
) -> tuple[Principal, sending.TopicRead | None]:
    """``principal_of`` for a publish to ``topic`` (None: named by the body): with a bearer API
    token and the topic in the path, the token and the topic's rule and subscribers are read
    in one round trip (``api_tokens.beside``), checked as ``principal_of`` checks them, and
    the topic's rows returned for ``sending.create``. Any other credentials: ``principal_of``."""
    scheme, _, value = header.strip().partition(" ")
    token = value.strip()
    if topic is None or scheme.lower() != "bearer" or not token.startswith(API_TOKEN_PREFIX):
        return await principal_of(header, session, settings, meta=meta), None
    try:
        found, rows = await api_tokens.authenticate_beside(
            session, token=token, query=_WITH_TOPIC, params={"topic": topic}
        )
    except WakeDockError as exc:
        raise errors.from_wakedock(exc) from None
    return found, sending.TopicRead(topic, rows)
