"""Who calls a Gotify route, read as Gotify clients send it.

A token comes in the ``X-Gotify-Key`` header, ``?token=``, or ``Authorization: Bearer``; a
name and password in ``Authorization: Basic`` (checked and throttled like a login: each
failure counts). Every token is a WakeDock credential (``auth.sessions.authenticate``):
an application's token may only publish (``POST /message``); everything else takes a
client's token, any other WakeDock token with the permissions, or the password.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from wakedock.audit.context import anonymous_actor
from wakedock.auth import api_tokens, basic, sessions
from wakedock.auth.bearer import bearer_token
from wakedock.auth.dependencies import check_permissions
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.auth.tokens import API_TOKEN_PREFIX
from wakedock.compat.gotify import applications
from wakedock.compat.gotify.models import GotifyApplication
from wakedock.errors import Unauthorized
from wakedock.notifications.preferences import service as preferences
from wakedock.settings import Settings

NO_CREDENTIALS = "you need to provide a valid access token or user credentials to access this api"
MAX_TOKEN_CHARS = 512


@dataclass(frozen=True, slots=True)
class Credentials:
    token: str | None = None
    login: str | None = None
    password: str | None = None


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, sep, password = decoded.partition(":")
    return (login, password) if sep and login else None


def token_of(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token a request carries, as Gotify reads it: ``X-Gotify-Key``, else ``?token=``,
    else a bearer token (``headers``: each name's first value; ``query``: each name's last,
    as Starlette's ``Headers`` and ``QueryParams`` read them)."""
    token = (
        headers.get("x-gotify-key")
        or query.get("token")
        or bearer_token(headers.get("authorization"))
    )
    return token.strip()[:MAX_TOKEN_CHARS] if token else None


def read(conn: HTTPConnection) -> Credentials:
    """The credentials of a request or socket (a token first, as Gotify reads them)."""
    token = token_of(conn.headers, conn.query_params)
    if token is not None:  # even blank once stripped: a token was given
        return Credentials(token=token)
    basic = _basic(conn.headers.get("authorization"))
    if basic is not None:
        return Credentials(login=basic[0][:320], password=basic[1][:1024])
    return Credentials()


# Built once (every Gotify publish runs it): the token, its owner, the columns of its
# application a publish reads (``Publisher``'s; not its timestamps, parsed for nothing), and
# the owner as a recipient (``preferences.with_recipient``): an application without a topic
# publishes to its owner, whose row ``sending.create`` would otherwise read in a statement of
# its own.
_APPLICATIONS = GotifyApplication.__table__
_PUBLISHER_COLUMNS = ("id", "name", "default_priority", "topic")
_WITH_APPLICATION = preferences.with_recipient(
    api_tokens.with_row_of(_APPLICATIONS, _APPLICATIONS.c.api_token_id, *_PUBLISHER_COLUMNS),
    api_tokens.OWNER_ID,
)


@dataclass(frozen=True, slots=True)
class Application:
    """An application's token, authenticated: who publishes, as what, and (for an
    application without a topic) its one recipient, its owner, as read with the token."""

    principal: Principal
    publisher: applications.Publisher
    owner: preferences.Recipients


async def application(
    session: AsyncSession, settings: Settings, conn: HTTPConnection
) -> Application:
    """The application whose token this request carries (``application_of``)."""
    return await application_of(session, settings, read(conn).token)


async def application_of(
    session: AsyncSession, settings: Settings, token: str | None
) -> Application:
    """The application whose token this is, with its token's principal; else 401. The token,
    its application and its owner are read in one round trip (``_WITH_APPLICATION``)."""
    if not token:
        raise Unauthorized(NO_CREDENTIALS)
    if not token.startswith(API_TOKEN_PREFIX):
        # An access token is never an application's: refused as it is elsewhere when it is
        # not valid, else with Gotify's answer.
        await sessions.authenticate(session, settings, token=token)
        raise Unauthorized(NO_CREDENTIALS)
    principal, row = await api_tokens.authenticate_with(
        session, token=token, query=_WITH_APPLICATION
    )
    app_id, name, default_priority, topic = row[:4]
    if app_id is None:  # another kind of API token (a client's, a script's)
        raise Unauthorized(NO_CREDENTIALS)
    return Application(
        principal,
        applications.Publisher(
            id=app_id, name=name, default_priority=default_priority, topic=topic
        ),
        preferences.recipient_of(row[4:]),
    )


async def client(
    session: AsyncSession,
    settings: Settings,
    conn: HTTPConnection,
    *needed: Permission,
    password_only: bool = False,
) -> Principal:
    """The caller of a client route holding ``needed``: 401 without credentials or with an
    application's token, 403 without the permissions. ``password_only``: name and password
    only (``POST /client`` may also take a client's token: False there)."""
    found = read(conn)
    if found.token and not password_only:
        principal = await sessions.authenticate(session, settings, token=found.token)
        if principal.api_token_id is not None and await applications.by_token(
            session, api_token_id=principal.api_token_id
        ):
            raise Unauthorized(NO_CREDENTIALS)  # an application only publishes
    elif found.login is not None and found.password is not None:
        principal = await basic.authenticate(
            session,
            settings,
            login=found.login,
            password=found.password,
            meta=anonymous_actor(conn),
        )
    else:
        raise Unauthorized(NO_CREDENTIALS)
    return check_permissions(principal, needed)
