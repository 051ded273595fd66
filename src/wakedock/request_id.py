"""A request id for every request: in its log lines, its error answer and its ``X-Request-ID``.

The id is the client's (or the proxy's: nginx ``proxy_set_header X-Request-ID $request_id``)
when it looks like an id — 1 to 128 characters of ``A-Z a-z 0-9 . _ : -``, so it cannot
forge log lines or smuggle markup — else 32 hex digits of its own: the process's random
prefix and a counter (unique without a ``getrandom`` call a request, which cost more than the
rest of this layer under load: ``bench/hotpath.py``). It is echoed in an HTTP answer's
``X-Request-ID`` header, put in every error body
(``{"error": {..., "request_id": ...}}``, see ``errors``) and in every log line written while
the request is handled (``log``'s filter reads ``REQUEST_ID``), so an operator can go from a
user's error message to its log lines.

The middleware runs once a request: ``wakedock serve``'s gateway wraps its direct paths and the
app in it, and the app's own copy (for the app served without the gateway, as in tests) sees
the id already in the scope and lets the request through.

A socket gets an id for its log lines but no header, and its ``send`` is never wrapped: the
socket endpoint writes straight to Uvicorn's protocol only when it is handed the server's own
``send`` (``realtime.websocket.direct_writer``), and a wrapper would also stay on the stack of
every open socket for hours. The gateway's socket path does not even add a frame: it sets the
id with ``assign`` in the connection's own task (Uvicorn runs each connection in a task of its
own, whose context ends with it). The id is also kept in the scope
(``SCOPE_KEY``): Starlette answers an unexpected exception outside every user middleware, after
the context variable is reset, and reads it from there.
"""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("wakedock_request_id", default=None)
HEADER = "X-Request-ID"
SCOPE_KEY = "wakedock.request_id"
_HEADER = HEADER.lower().encode()
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def _reseed() -> None:
    """A new prefix and counter: at import, and in a forked child (never its parent's ids)."""
    global _prefix, _counter
    _prefix = os.urandom(8).hex()
    _counter = itertools.count(int.from_bytes(os.urandom(8)))


_prefix = ""
_counter = itertools.count()
_reseed()
os.register_at_fork(after_in_child=_reseed)
_MASK = (1 << 64) - 1


def new_request_id() -> str:
    """32 lowercase hex digits, never the same twice in a process nor (but by a 64-bit
    collision of random prefixes) across processes."""
    return f"{_prefix}{next(_counter) & _MASK:016x}"


def incoming(scope: Scope) -> str | None:
    """The request's own ``X-Request-ID`` when it is a sane id, else None."""
    for key, value in scope.get("headers", ()):
        if key == _HEADER:
            return value.decode("ascii") if _SANE.fullmatch(value) else None
    return None


def assign(scope: Scope) -> str:
    """Give ``scope`` its id and make it the current one, for the rest of the calling task."""
    rid = incoming(scope) or new_request_id()
    scope[SCOPE_KEY] = rid
    REQUEST_ID.set(rid)
    return rid


def current(scope: Scope | None = None) -> str | None:
    """The id of the request being handled (from ``scope`` once the context is gone)."""
    rid = REQUEST_ID.get()
    if rid is None and scope is not None:
        rid = scope.get(SCOPE_KEY)
    return rid


class RequestIdMiddleware:
    """Give each HTTP request and socket an id; echo it; expose it to logs and errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if (kind != "http" and kind != "websocket") or SCOPE_KEY in scope:
            await self.app(scope, receive, send)
            return
        rid = incoming(scope) or new_request_id()
        scope[SCOPE_KEY] = rid
        token = REQUEST_ID.set(rid)
        if kind == "websocket":  # the server's own send, unwrapped (see above)
            try:
                await self.app(scope, receive, send)
            finally:
                REQUEST_ID.reset(token)
            return
        header = (_HEADER, rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                for key, _ in headers:
                    if key.lower() == _HEADER:
                        break
                else:  # the app did not set one
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
