"""The first check every HTTP request passes: body size and NUL characters, before any route.

Invariant: no route sees a request body longer than ``max_request_bytes`` (413), nor a U+0000
in its path, query string or body (422): PostgreSQL's text types cannot hold NUL, and asyncpg
raised on it (a 500 on any route, the unauthenticated login included); SQLite stored it.
One check here rather than a validator per field, so no route, model or form can forget it.
Both answers use the API's error shape; the request reaches nothing else.

The body is read here (up to the limit: a ``Content-Length`` above it is refused before a byte
is read, a chunked body is counted as it comes) and replayed to the app. A NUL in a body is:
a 0x00 byte anywhere; ``%00`` in a form body; ``\\u0000`` in any other body (a JSON escape:
one preceded by an even number of backslashes, so an escaped backslash followed by ``u0000``
is text, not NUL).

It also puts the app's :class:`~wakedock.bounds.Limits` in ``bounds.LIMITS`` for the request,
so the models' validators hold free-form JSON to this app's settings.

``wakedock serve``'s gateway wraps its direct create path in the same guard, so both paths
answer alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wakedock.bounds import LIMITS, Limits
from wakedock.errors import error_payload

# A JSON \u0000 escape: preceded by an even number (0, 2, ...) of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM = b"application/x-www-form-urlencoded"


class _Disconnected(Exception):
    pass


class _TooLarge(Exception):
    pass


def _content_type(scope: Scope) -> bytes:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower()
    return b""


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def has_nul(scope: Scope, body: bytes) -> bool:
    """Whether the request's path, query string or body carries U+0000."""
    if "\x00" in scope["path"]:
        return True
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return True
    if not body:
        return False
    if b"\x00" in body:
        return True
    if _content_type(scope) == _FORM:
        return b"%00" in body
    return _JSON_NUL.search(body) is not None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app: the body read here, then the client's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        error_payload("payload_too_large", f"The request body is larger than {limit} bytes"),
        status_code=413,
    )


def nul_refused() -> JSONResponse:
    return JSONResponse(
        error_payload("validation_error", "The request holds a NUL character (U+0000)"),
        status_code=422,
    )


# A protocol spoken on some paths answers in its own error shape (the ntfy-compatible API):
# given the request and the status (413 or 422), its answer, or None for the API's shape.
ProtocolAnswer = Callable[[Scope, int], Response | None]


class RequestGuard:
    """ASGI middleware: refuse oversized bodies (413) and NUL characters (422)."""

    def __init__(
        self, app: ASGIApp, *, limits: Limits, answers: Sequence[ProtocolAnswer] = ()
    ) -> None:
        self.app = app
        self.limits = limits
        self.answers = tuple(answers)

    def _refusal(self, scope: Scope, status: int) -> Response:
        for answer in self.answers:
            response = answer(scope, status)
            if response is not None:
                return response
        return too_large(self.limits.max_request_bytes) if status == 413 else nul_refused()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_request_bytes
        length = _content_length(scope)
        if length is not None and length > limit:
            await self._refusal(scope, 413)(scope, receive, send)
            return
        try:
            body = await _read_body(receive, limit)
        except _Disconnected:
            return
        except _TooLarge:
            await self._refusal(scope, 413)(scope, receive, send)
            return
        if has_nul(scope, body):
            await self._refusal(scope, 422)(scope, receive, send)
            return
        token = LIMITS.set(self.limits)
        try:
            await self.app(scope, replay_body(body, receive), send)
        finally:
            LIMITS.reset(token)
