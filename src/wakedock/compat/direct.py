"""Gotify's ``POST /message`` and ntfy's publishes served by ``wakedock serve``'s gateway,
under the framework, as ``notifications.create_direct`` serves ``POST /api/notifications``.

Through FastAPI, a publish paid for the app's middleware stack, for routing (ntfy's routes
are mounted last: a topic is matched after every other route) and for dependency resolution,
on top of the create itself: 1.7x (Gotify) and 2.2x (ntfy) the native create's server CPU.
Here the same route functions run (``gotify.router.create_message``, ``ntfy.router.publish``
and ``publish_json``: credentials, body, topic rules, audit, answer, all their own code),
given what their dependencies would give, and their failures get the answers the app would
give: Gotify's route errors (``gotify.errors.route_error``), then the app's own exception
handlers (ntfy's shape, WakeDock's, the 500). The gateway runs this inside a ``RequestGuard``
built with the app's own protocol errors (413 and NUL in each protocol's shape), and the
other middleware's work is done here (``gateway.MIRRORED``: HTTP metrics by route template,
the security headers of the path).

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
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from wakedock import fast_paths
from wakedock.audit.context import anonymous_actor
from wakedock.compat.gotify import errors as gotify_errors
from wakedock.compat.gotify import router as gotify_router
from wakedock.compat.ntfy import parse
from wakedock.compat.ntfy import router as ntfy_router
from wakedock.errors import unexpected_error_response
from wakedock.security_headers import headers_for
from wakedock.system.metrics import record_request

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


async def _gotify(app: FastAPI, request: Request) -> Response:
    state = app.state
    fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH] += 1
    async with state.sessionmaker() as db:
        out = await gotify_router.create_message(
            request,
            db,
            state.settings,
            state.clock,
            getattr(state, "broker", None),
            anonymous_actor(request),
        )
    # As FastAPI answers the route (its response model, without the None fields): the route's
    # plain dict (JSON from the request and the store) serialised by orjson, which writes it
    # as pydantic does (UTC as "Z"), without building and dumping a MessageOut each publish.
    return Response(orjson.dumps(out, option=orjson.OPT_UTC_Z), media_type="application/json")


async def _ntfy(request: Request, topic: str | None) -> Response:
    fast_paths.USES[fast_paths.GATEWAY_NTFY_PUBLISH] += 1
    if topic is None:
        return await ntfy_router.publish_json(request)
    return await ntfy_router.publish(topic, request)


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
    scope["app"] = app  # what the routes read their state from, as Starlette sets it
    request = Request(scope, receive)
    status_code = 500
    try:
        try:
            if kind == GOTIFY:
                response = await _gotify(app, request)
            else:
                response = await _ntfy(request, topic)
        except Exception as exc:
            answer = gotify_errors.route_error(exc) if kind == GOTIFY else None
            response = answer or await _app_answer(app, request, exc)
        extra = headers_for(scope["path"])
        if extra is not None:
            response.raw_headers.extend(extra)
        status_code = response.status_code
        await response(scope, receive, send)
    finally:
        record_request(scope["method"], _ROUTES[kind], status_code, start)
