"""ntfy's error shape, ``{"code", "http", "error", "link"}``, on every ntfy route.

The codes are ntfy's own (server/errors.go), so a client that reads ``code`` understands them.
WakeDock errors raised by the services underneath are translated by status (``from_wakedock``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wakedock.errors import WakeDockError

_DOCS = "https://ntfy.sh/docs"


class NtfyError(Exception):
    def __init__(
        self,
        code: int,
        http: int,
        error: str,
        link: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.code = code
        self.http = http
        self.error = error
        self.link = link
        self.headers = headers

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"http": self.http, "error": self.error}
        if self.code:  # omitted when ntfy has no code for it, as ntfy does
            body = {"code": self.code, **body}
        if self.link:
            body["link"] = self.link
        return body

    def response(self) -> Response:
        return JSONResponse(self.payload(), status_code=self.http, headers=self.headers)


def unauthorized() -> NtfyError:
    return NtfyError(
        40101,
        401,
        "unauthorized",
        f"{_DOCS}/publish/#authentication",
        headers={"WWW-Authenticate": 'Basic realm="WakeDock"'},
    )


def forbidden() -> NtfyError:
    return NtfyError(40301, 403, "forbidden", f"{_DOCS}/publish/#authentication")


def bad_request(code: int, error: str, link: str = "") -> NtfyError:
    return NtfyError(code, 400, error, link)


def priority_invalid() -> NtfyError:
    return bad_request(40007, "invalid priority parameter", f"{_DOCS}/publish/#message-priority")


def since_invalid() -> NtfyError:
    return bad_request(
        40008, "invalid since parameter", f"{_DOCS}/subscribe/api/#fetch-cached-messages"
    )


def topic_invalid() -> NtfyError:
    return bad_request(40009, "invalid request: topic invalid")


def topic_disallowed() -> NtfyError:
    return bad_request(40010, "invalid request: topic name is disallowed")


def actions_invalid(detail: str) -> NtfyError:
    return bad_request(
        40018, f"invalid request: actions invalid, {detail}", f"{_DOCS}/publish/#action-buttons"
    )


def json_invalid() -> NtfyError:
    return bad_request(
        40017,
        "invalid request: request body must be message JSON",
        f"{_DOCS}/publish/#publish-as-json",
    )


def too_large(limit: int) -> NtfyError:
    return NtfyError(
        41301,
        413,
        f"message too large (more than {limit} bytes); attachments are not supported",
        f"{_DOCS}/publish/#limitations",
    )


def json_too_large() -> NtfyError:
    return NtfyError(41303, 413, "JSON body too large")


def nul_refused() -> NtfyError:
    return bad_request(40011, "invalid message: NUL characters (U+0000) are not allowed")


def _limited(headers: dict[str, str]) -> NtfyError:
    return NtfyError(
        42901,
        429,
        "limit reached: too many requests, please be nice",
        f"{_DOCS}/publish/#limitations",
        headers=headers,
    )


def rate_limited(retry_after: int) -> NtfyError:
    return _limited({"Retry-After": str(retry_after)})


def from_wakedock(exc: WakeDockError) -> NtfyError:
    """A WakeDock error raised underneath, in ntfy's shape (its message kept)."""
    status = exc.status_code
    if status == 401:
        return unauthorized()
    if status == 403:
        return forbidden()
    if status == 429:
        return _limited(exc.headers or {})
    if status == 413:
        return json_too_large()
    if status >= 500:
        return NtfyError(50001, status, "internal server error")
    # A request the service refused (422 in WakeDock's shape): ntfy answers those with 400.
    return NtfyError(0, 400 if status == 422 else status, f"invalid request: {exc.message}")


async def handle(request: Request, exc: Exception) -> Response:
    """The app's handler for ``NtfyError``."""
    assert isinstance(exc, NtfyError)
    return exc.response()
