"""A JSON ``POST`` of the API served by ``wakedock serve``'s gateway, under the framework.

Through FastAPI, a request pays for its middleware, its routing (23 routers matched one after
the other) and its dependency resolution before the route's own work. For the requests
scripts and services send most (a create, a broadcast), this runs the route's steps with the
route's own code instead: the bearer token through ``sessions.authenticate``, the route's
permission check (``check_permissions``, as its ``require`` dependency does), the body through
the route's model, then the route's work (``DirectRoute.handle``), the app's error answers, its
HTTP metrics (by the route's template) and its API security headers.

What it does not handle exactly as the app would, it hands to the app, with the body already
read: no bearer token, a body that is not JSON (or a content type that is not JSON), a body the
model refuses, a number too long for orjson to read as the app's parser does. The app then
gives the usual answer (401, 422 …) by the usual path. Errors are rare; only a valid request is
served here. The routes themselves stay in the app (OpenAPI, tests, in-process clients).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from wakedock import fast_paths
from wakedock.audit.context import AuditActor, anonymous_actor
from wakedock.auth import sessions
from wakedock.auth.bearer import bearer_token
from wakedock.auth.dependencies import check_permissions
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.errors import WakeDockError, error_response, unexpected_error_response
from wakedock.security_headers import API_HEADERS
from wakedock.system.metrics import record_request
from wakedock.system.request_guard import replay_body

# orjson reads an integer literal beyond 64 bits as a float, the app's parser as an int (which
# the model refuses): a body with 20 digits in a row goes to the app, which decides.
_LONG_NUMBER = re.compile(rb"\d{20}")

Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class DirectRoute(Generic[Body]):
    """One route served directly: its path (and metrics label), body model, the permissions
    its dependency requires, its ``fast_paths`` counter, and its work: given the app's state,
    a session, the caller, the audit actor and the body, the answer."""

    path: str
    model: type[Body]
    permissions: tuple[Permission, ...]
    counter: str
    handle: Callable[[Any, AsyncSession, Principal, AuditActor, Body], Awaitable[Response]]


def _is_json(content_type: bytes | None) -> bool:
    """FastAPI reads a body as JSON without a content type, or with application/json or
    application/…+json (parameters such as charset aside)."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header, as Starlette's ``Headers.get`` reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body (one message when the guard replays it: joined without a
    copy); None if the client went away."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def serve(
    app: ASGIApp, route: DirectRoute[Any], scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one request to ``route`` (``app`` is the FastAPI app: its state and routes)."""
    start = time.perf_counter()
    body = await read_body(receive)
    if body is None:
        return
    authorization = _header(scope, b"authorization")
    # Decoded as Starlette decodes headers, then read as every other door reads it.
    token = bearer_token(None if authorization is None else authorization.decode("latin-1"))
    request: BaseModel | None = None
    if (
        token is not None
        and _is_json(_header(scope, b"content-type"))
        and _LONG_NUMBER.search(body) is None
    ):
        try:
            request = route.model.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError):
            request = None  # the app answers with its own 422
    if token is None or request is None:
        await app(scope, replay_body(body, receive), send)
        return

    state = app.state  # type: ignore[attr-defined]
    status_code = 500
    fast_paths.USES[route.counter] += 1
    try:
        try:
            async with state.sessionmaker() as db:
                principal = await sessions.authenticate(db, state.settings, token=token)
                check_permissions(principal, route.permissions)
                actor = principal.acting(anonymous_actor(HTTPConnection(scope)))
                response = await route.handle(state, db, principal, actor, request)
        except WakeDockError as exc:
            response = error_response(exc)
        except Exception as exc:
            response = unexpected_error_response(scope["method"], scope["path"], exc)
        response.raw_headers.extend(API_HEADERS)
        status_code = response.status_code
        await response(scope, receive, send)
    finally:
        record_request(scope["method"], route.path, status_code, start)
