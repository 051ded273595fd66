"""Gotify's error shape on Gotify's routes: ``{"error", "errorCode", "errorDescription"}``.

``GotifyRoute`` answers every failure of its routes in that shape: WakeDock's own errors
(401, 403, 404, 409, 429 keep their status), a request that does not validate (400, as Gotify
answers it), a framework HTTP error. The rest of the API keeps WakeDock's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from wakedock.errors import WakeDockError

# Gotify's paths at the root: the names another protocol at the root must not take.
RESERVED = (
    "message",
    "application",
    "client",
    "current",
    "stream",
    "version",
    "health",
    "user",
    "plugin",
    "image",
)


def is_gotify_path(path: str) -> bool:
    return path.lstrip("/").split("/", 1)[0] in RESERVED


def guard_error(path: str, status: int, message: str) -> Response | None:
    """The request guard's refusal (413, NUL) in Gotify's shape on Gotify's paths (a NUL is
    a 400 there, as Gotify answers a request it cannot accept)."""
    if not is_gotify_path(path):
        return None
    return response(400 if status == 422 else status, message)


class GotifyError(WakeDockError):
    """A bad request in Gotify's words (400)."""

    status_code = 400
    code = "bad_request"


def payload(status: int, description: str) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": phrase, "errorCode": status, "errorDescription": description}


def response(status: int, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(payload(status, description), status_code=status, headers=headers)


def _validation_text(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc}: {err.get('msg', '')}" if loc else str(err.get("msg", "")))
    return "; ".join(parts) or "invalid request"


def route_error(exc: Exception) -> Response | None:
    """A Gotify route's failure in Gotify's shape; None for one it does not answer (the
    app's handlers do: a 500). ``GotifyRoute`` and the gateway's direct publish use it."""
    if isinstance(exc, WakeDockError):
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Authorization Required"'
        # Gotify answers a request it cannot accept with 400, never 422.
        status = 400 if exc.status_code == 422 else exc.status_code
        return response(status, exc.message, headers)
    if isinstance(exc, RequestValidationError):
        return response(400, _validation_text(exc))
    if isinstance(exc, StarletteHTTPException):
        return response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))
    return None


class GotifyRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def gotify_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (WakeDockError, RequestValidationError, StarletteHTTPException) as exc:
                answer = route_error(exc)
                assert answer is not None
                return answer

        return gotify_handler
