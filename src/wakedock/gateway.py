"""The ASGI application ``wakedock serve`` runs: the app, with its two hottest paths served
under the framework rather than through it.

- Notification sockets. A socket lives for hours, and everything on its call stack lives with
  it: going through the framework's middleware and routing would keep a dozen coroutine frames,
  exit stacks and wrapped ``send`` callables per socket. Here the endpoint runs right under the
  server's own task, with the server's own ``send`` (so ``direct_writer`` can use it).
- ``POST /api/notifications``, the request scripts and services send most, and
  ``POST /api/notifications/broadcast``, which comes in bursts: see
  ``notifications.direct_route`` (each route's own code, without the framework's per-request
  layers; what it does not handle exactly as the app would goes to the app). They run inside
  the app's own ``RequestGuard`` (body size, NUL, the app's limits), so they refuse what the
  app refuses, and do what the app's other middleware does (``MIRRORED``: metrics, security
  headers). When the app has a middleware not in that list (CORS when configured, or one
  added later), the paths are off: every create and broadcast goes through the app, and a
  warning says which middleware caused it.
- Gotify's ``POST /message`` and ntfy's publishes (``PUT``/``POST /{topic}`` and ``/``): the
  same, for the same reason (``compat.direct``), inside a ``RequestGuard`` with the app's own
  settings (its protocol errors: 413 and NUL in Gotify's and ntfy's shapes), and off whenever
  the create path is.

Every other request, and any path this does not match, goes to the app unchanged. Every
request, direct or not, first gets its request id (``wakedock.request_id``) here; the app's own
request id middleware then lets it through.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from wakedock.compat import direct as compat_direct
from wakedock.notifications import create_direct, direct_route
from wakedock.notifications.broadcast import direct as broadcast_direct
from wakedock.realtime.websocket import serve_socket, socket_user_id
from wakedock.request_id import RequestIdMiddleware
from wakedock.request_id import assign as assign_request_id
from wakedock.security_headers import SecurityHeadersMiddleware
from wakedock.system.metrics import MetricsMiddleware
from wakedock.system.request_guard import RequestGuard

logger = logging.getLogger(__name__)

# The app's middleware that the direct paths do too (direct_route: record_request,
# API_HEADERS; RequestGuard wraps it; the request id is assigned here, before either path). A
# middleware added to the app must be added here, with what it does done on the direct paths,
# or they turn themselves off.
MIRRORED: tuple[type, ...] = (
    RequestIdMiddleware,
    RequestGuard,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)


_PUBLISH_KEY = "wakedock.publish"  # the scope's note of which publish (compat.direct.which)
# The API's JSON POSTs served directly, by path.
DIRECT_ROUTES = (create_direct.ROUTE, broadcast_direct.ROUTE)


def _is(cls: object, known: type) -> bool:
    return cls is known


def _mirrored(cls: object) -> bool:
    return any(_is(cls, known) for known in MIRRORED)


class Gateway:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        unknown: list[object] = [m.cls for m in app.user_middleware if not _mirrored(m.cls)]
        self.direct_create = not unknown
        if unknown:
            # CORS is expected (browsers' cross-origin answers need it); anything else is a
            # middleware added without teaching the direct path: worth a warning.
            level = logging.INFO if unknown == [CORSMiddleware] else logging.WARNING
            logger.log(
                level,
                "POST %s goes through the app: the direct paths do not do what %s does",
                ", ".join(route.path for route in DIRECT_ROUTES),
                ", ".join(getattr(cls, "__name__", repr(cls)) for cls in unknown),
            )
        self.posts = {
            route.path: RequestGuard(
                partial(direct_route.serve, app, route), limits=app.state.settings.limits
            )
            for route in DIRECT_ROUTES
        }
        # The app's own guard settings: its limits and its protocols' error shapes (an app
        # built without the guard, as some tests build one: the limits alone).
        guard: dict[str, Any] = next(
            (dict(m.kwargs) for m in app.user_middleware if _is(m.cls, RequestGuard)),
            {"limits": app.state.settings.limits},
        )
        self.publish = RequestGuard(partial(self._publish, app), **guard)
        self.dispatch = RequestIdMiddleware(self._route)

    @staticmethod
    async def _publish(app: FastAPI, scope: Scope, receive: Receive, send: Send) -> None:
        kind, topic = scope[_PUBLISH_KEY]
        await compat_direct.serve(app, kind, topic, scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            user_id = socket_user_id(scope["path"])
            if user_id is not None:
                assign_request_id(scope)  # no wrapper: the server's own send, no extra frame
                await serve_socket(self.app, scope, receive, send, user_id, direct=True)
                return
        await self.dispatch(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.direct_create and scope["type"] == "http" and scope["method"] == "POST":
            direct = self.posts.get(scope["path"])
            if direct is not None:
                await direct(scope, receive, send)
                return
        if self.direct_create and scope["type"] == "http":
            publish = compat_direct.which(scope["method"], scope["path"])
            if publish is not None:
                scope[_PUBLISH_KEY] = publish
                await self.publish(scope, receive, send)
                return
        await self.app(scope, receive, send)
