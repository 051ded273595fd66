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

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from wakedock.audit.context import anonymous_actor
from wakedock.auth import basic, sessions
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.compat.ntfy import errors
from wakedock.errors import WakeDockError
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


async def principal(
    conn: HTTPConnection,
    session: AsyncSession,
    settings: Settings,
    *,
    needs: Permission | None = None,
) -> Principal:
    """The caller (401 in ntfy's shape without valid credentials, 403 without ``needs``)."""
    header = authorization(conn)
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
                    session,
                    settings,
                    login=user,
                    password=password,
                    meta=anonymous_actor(conn),
                )
        else:
            raise errors.unauthorized()
    except WakeDockError as exc:
        raise errors.from_wakedock(exc) from None
    if needs is not None and not found.has(needs):
        raise errors.forbidden()
    return found
