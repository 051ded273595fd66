"""POST /api/notifications served by ``wakedock serve``'s gateway, under the framework.

Creating a notification is the request scripts and services send most, and the one whose
latency users see (create → socket). Through FastAPI, its middleware, routing and dependency
resolution add ~40% to the CPU a create costs (the main thread's CPU per create, in-process:
~3.1 ms through the app, ~2.2 ms here, for the same work). This runs the same steps with the
same code: the bearer token through ``sessions.authenticate``, the permission check of
``Reader``, the body through ``NotificationCreate``, ``sending.create``, the route's own
``created_response``, the app's error answers, its HTTP metrics and its API security headers.

What it does not handle exactly as the app would, it hands to the app, with the body already
read: no bearer token, a body that is not JSON (or a content type that is not JSON), a body the
model refuses, a number too long for orjson to read as the app's parser does. The app then
gives the usual answer (401, 422 …) by the usual path. Errors are
rare; only a valid request is served here. The route itself stays in the app (OpenAPI, tests,
in-process clients).
"""

from __future__ import annotations

import re
import time

import orjson
from pydantic import ValidationError
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from wakedock import fast_paths
from wakedock.audit.context import anonymous_actor
from wakedock.auth import sessions
from wakedock.auth.bearer import bearer_token
from wakedock.auth.dependencies import check_permissions
from wakedock.errors import WakeDockError, error_response, unexpected_error_response
from wakedock.notifications import sending
from wakedock.notifications.dependencies import READER_PERMISSIONS
from wakedock.notifications.router import created_response
from wakedock.notifications.router import router as notifications_router
from wakedock.notifications.schemas import NotificationCreate
from wakedock.security_headers import API_HEADERS
from wakedock.system.metrics import record_request
from wakedock.system.request_guard import replay_body

PATH = notifications_router.prefix  # the route's path: POST ""
# orjson reads an integer literal beyond 64 bits as a float, the app's parser as an int (which
# the model refuses): a body with 20 digits in a row goes to the app, which decides.
_LONG_NUMBER = re.compile(rb"\d{20}")


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


async def serve(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one POST /api/notifications (``app`` is the FastAPI app: its state and routes)."""
    start = time.perf_counter()
    body = await read_body(receive)
    if body is None:
        return
    authorization = _header(scope, b"authorization")
    # Decoded as Starlette decodes headers, then read as every other door reads it.
    token = bearer_token(None if authorization is None else authorization.decode("latin-1"))
    request: NotificationCreate | None = None
    if (
        token is not None
        and _is_json(_header(scope, b"content-type"))
        and _LONG_NUMBER.search(body) is None
    ):
        try:
            request = NotificationCreate.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError):
            request = None  # the app answers with its own 422
    if token is None or request is None:
        await app(scope, replay_body(body, receive), send)
        return

    state = app.state  # type: ignore[attr-defined]
    status_code = 500
    fast_paths.USES[fast_paths.GATEWAY_CREATE] += 1
    try:
        try:
            async with state.sessionmaker() as db:
                principal = await sessions.authenticate(db, state.settings, token=token)
                check_permissions(principal, READER_PERMISSIONS)
                created = await sending.create(
                    db,
                    principal=principal,
                    actor=principal.acting(anonymous_actor(HTTPConnection(scope))),
                    body=request,
                    now=state.clock.now(),
                    broker=getattr(state, "broker", None),
                    renderer=state.renderer,
                )
            response = created_response(created, request)
        except WakeDockError as exc:
            response = error_response(exc)
        except Exception as exc:
            response = unexpected_error_response(scope["method"], scope["path"], exc)
        response.raw_headers.extend(API_HEADERS)
        status_code = response.status_code
        await response(scope, receive, send)
    finally:
        record_request(scope["method"], PATH, status_code, start)
