"""Gotify's ``POST /message`` and ntfy's publishes served by ``wakedock serve``'s gateway,
under the framework, as ``notifications.create_direct`` serves ``POST /api/notifications``.

Through FastAPI, a publish paid for the app's middleware stack, for routing (ntfy's routes
are mounted last: a topic is matched after every other route) and for dependency resolution,
on top of the create itself: 1.7x (Gotify) and 2.2x (ntfy) the native create's server CPU.
Here the routes' own code runs (``gotify.router.publish_message``, ``ntfy.router.publish_with``,
what ``create_message``, ``publish`` and ``publish_json`` call: credentials, body, topic rules,
audit, answer), given the body, the headers and the query read straight from the ASGI scope
(as Starlette reads them: each header's first value, each query parameter's last; no
``Request`` is built unless a Gotify form body needs Starlette's parser or a failure needs the
app's handlers), and their failures get the answers the app would give: Gotify's route errors
(``gotify.errors.route_error``), then the app's own exception handlers (ntfy's shape,
WakeDock's, the 500). The gateway runs this inside a ``RequestGuard`` built with the app's own
protocol errors (413 and NUL in each protocol's shape), and the other middleware's work is done
here (``gateway.MIRRORED``: HTTP metrics by route template, the security headers of the path).
A publish costs ~0.97x (Gotify) and ~1.00x (ntfy, a topic send) the native create's
instructions (``bench/compat_cost.py``).

Which requests: ``POST /message``; ``PUT``/``POST /{topic}`` for a name the ntfy route's
convertor takes (``parse.TOPIC_PATH``: never a reserved name, so no other route could have
matched it); ``PUT``/``POST /`` (ntfy's JSON publish). Everything else goes to the app.
"""

from __future__ import annotations

import re
import time
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from wakedock import fast_paths
from wakedock.audit.context import AuditActor, actor_at
from wakedock.compat.gotify import body as gotify_body
from wakedock.compat.gotify import credentials as gotify_credentials
from wakedock.compat.gotify import errors as gotify_errors
from wakedock.compat.gotify import router as gotify_router
from wakedock.compat.gotify.schemas import MessageIn
from wakedock.compat.ntfy import access as ntfy_access
from wakedock.compat.ntfy import parse
from wakedock.compat.ntfy import router as ntfy_router
from wakedock.compat.ntfy import service as ntfy_service
from wakedock.errors import unexpected_error_response
from wakedock.notifications.direct_route import read_body
from wakedock.security_headers import headers_for
from wakedock.system.metrics import record_request
from wakedock.system.request_guard import replay_body

_TOPIC = re.compile(rf"/({parse.TOPIC_PATH})")
_PUBLISH_METHODS = ("POST", "PUT")
GOTIFY = "gotify"
NTFY = "ntfy"
NTFY_JSON = "ntfy_json"


def which(method: str, path: str) -> tuple[str, str | None] | None:
    """The publish this request is (and the topic named by its path), or None."""
    if method == "POST" and path == gotify_router.MESSAGE_PATH:
        return GOTIFY, None
    if method not in _PUBLISH_METHODS:
        return None
    if path == ntfy_router.PUBLISH_JSON_PATH:
        return NTFY_JSON, None
    found = _TOPIC.fullmatch(path)
    return (NTFY, found.group(1)) if found is not None else None


async def _app_answer(app: FastAPI, request: Request, exc: Exception) -> Response:
    """What the app's exception handlers answer for ``exc`` (looked up as Starlette does)."""
    for cls in type(exc).__mro__:
        handler: Any = app.exception_handlers.get(cls)
        if handler is not None and cls is not Exception:
            answer: Response = await handler(request, exc)
            return answer
    scope = request.scope
    return unexpected_error_response(scope["method"], scope["path"], exc)


def _headers(scope: Scope) -> dict[str, str]:
    """The headers as Starlette's ``Headers`` reads them (names and values decoded as
    latin-1, each name's first value), straight from the scope: what a publish looks up."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


def _query(scope: Scope) -> dict[str, str]:
    """The query parameters as ``QueryParams`` reads them (each name's last value)."""
    if not scope.get("query_string"):
        return {}
    return dict(QueryParams(scope["query_string"]).items())


def _actor(scope: Scope, headers: dict[str, str]) -> AuditActor:
    """``audit.context.anonymous_actor`` of the request, from what is read already."""
    agent = headers.get("user-agent")
    return actor_at(scope, agent[:512] if agent else None)


async def _gotify(
    app: FastAPI, scope: Scope, receive: Receive, headers: dict[str, str], body: bytes
) -> Response:
    state = app.state
    fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH] += 1

    async def message() -> MessageIn:
        if gotify_body.is_form(headers.get("content-type", "")):  # Starlette's form parser
            request = Request(scope, replay_body(body, receive))
            return await gotify_body.parse(request, MessageIn, int_fields=("priority",))
        return gotify_body.parse_json(body, MessageIn)

    async with state.sessionmaker() as db:
        out = await gotify_router.publish_message(
            db,
            state.settings,
            gotify_credentials.token_of(headers, _query(scope)),
            message,
            now=state.clock.now(),
            broker=getattr(state, "broker", None),
            meta=_actor(scope, headers),
            renderer=state.renderer,
        )
    # As FastAPI answers the route (its response model, without the None fields): the route's
    # plain dict (JSON from the request and the store) serialised by orjson, which writes it
    # as pydantic does (UTC as "Z"), without building and dumping a MessageOut each publish.
    return Response(orjson.dumps(out, option=orjson.OPT_UTC_Z), media_type="application/json")


async def _ntfy(
    app: FastAPI, scope: Scope, headers: dict[str, str], body: bytes, topic: str | None
) -> Response:
    state = app.state
    fast_paths.USES[fast_paths.GATEWAY_NTFY_PUBLISH] += 1
    query = _query(scope)
    limit = state.settings.ntfy_message_limit

    def make(raw: bytes) -> ntfy_service.Publish:
        if topic is None:  # ntfy's JSON publish (``POST /``)
            return ntfy_service.from_json(raw, headers, query, limit=limit)
        return ntfy_service.from_request(topic, headers, query, raw, limit=limit)

    async def read() -> bytes:
        return body

    async with state.sessionmaker() as session:
        message = await ntfy_router.publish_with(
            state,
            session,
            ntfy_access.authorization_of(headers, query),
            read,
            make,
            topic,
            meta=_actor(scope, headers),
        )
    return Response(orjson.dumps(message), media_type="application/json")


_ROUTES = {
    GOTIFY: gotify_router.MESSAGE_PATH,
    NTFY: ntfy_router.PUBLISH_PATH,
    NTFY_JSON: ntfy_router.PUBLISH_JSON_PATH,
}


async def serve(
    app: FastAPI, kind: str, topic: str | None, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one publish (``kind`` and ``topic`` from ``which``)."""
    start = time.perf_counter()
    scope["app"] = app  # what the app's handlers read its state from, as Starlette sets it
    status_code = 500
    try:
        body = await read_body(receive)
        if body is None:
            return
        try:
            headers = _headers(scope)
            if kind == GOTIFY:
                response = await _gotify(app, scope, receive, headers, body)
            else:
                response = await _ntfy(app, scope, headers, body, topic)
        except Exception as exc:
            answer = gotify_errors.route_error(exc) if kind == GOTIFY else None
            request = Request(scope, replay_body(body, receive))
            response = answer or await _app_answer(app, request, exc)
        extra = headers_for(scope["path"])
        if extra is not None:
            response.raw_headers.extend(extra)
        status_code = response.status_code
        await response(scope, receive, send)
    finally:
        record_request(scope["method"], _ROUTES[kind], status_code, start)
