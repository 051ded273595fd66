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


def read(conn: HTTPConnection) -> Credentials:
    """The credentials of a request or socket (a token first, as Gotify reads them)."""
    token = (
        conn.headers.get("x-gotify-key")
        or conn.query_params.get("token")
        or bearer_token(conn.headers.get("authorization"))
    )
    if token:
        return Credentials(token=token.strip()[:MAX_TOKEN_CHARS])
    basic = _basic(conn.headers.get("authorization"))
    if basic is not None:
        return Credentials(login=basic[0][:320], password=basic[1][:1024])
    return Credentials()


# Built once (every Gotify publish runs it): the token, its owner, and its application.
_APPLICATIONS = GotifyApplication.__table__
_WITH_APPLICATION = api_tokens.with_row_of(_APPLICATIONS, _APPLICATIONS.c.api_token_id)
_APPLICATION_FIELDS = tuple(column.key for column in _APPLICATIONS.c)


async def application(
    session: AsyncSession, settings: Settings, conn: HTTPConnection
) -> tuple[Principal, applications.Publisher]:
    """The application whose token this is, and its token's principal; else 401. The token
    and its application are read in one round trip (``api_tokens.with_row_of``)."""
    token = read(conn).token
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
    found = dict(zip(_APPLICATION_FIELDS, row, strict=True))
    if found["id"] is None:  # another kind of API token (a client's, a script's)
        raise Unauthorized(NO_CREDENTIALS)
    return principal, applications.Publisher(
        id=found["id"],
        name=found["name"],
        default_priority=found["default_priority"],
        topic=found["topic"],
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
