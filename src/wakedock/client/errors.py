"""The client's exceptions: each API refusal carries the server's status, error code and
message (the API's one error shape, ``{"error": {"code", "message", "details",
"request_id"}}``); the request id is what to quote when reporting a problem."""

from __future__ import annotations

from typing import Any


class WakeDockClientError(Exception):
    """Base of every error the client raises."""


class TransportError(WakeDockClientError):
    """The server could not be reached (after the retries that were safe)."""


class ApiError(WakeDockClientError):
    """The server answered with an error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.request_id = request_id


class AuthenticationError(ApiError):
    """401: a missing, wrong, expired or revoked token (also a socket closed with 4401)."""


class PermissionDenied(ApiError):
    """403: the token lacks a permission (also a socket closed with 4403)."""


class NotFoundError(ApiError):
    """404: no such thing, or it belongs to another user."""


class ConflictError(ApiError):
    """409."""


class InvalidRequest(ApiError):
    """400, 413 or 422: the request itself was refused; ``details`` names the fields."""


class RateLimited(ApiError):
    """429."""


class ServerError(ApiError):
    """5xx (after the retries that were safe)."""


def error_for(status: int, body: Any, fallback_text: str = "") -> ApiError:
    """The exception for an error answer, from its JSON body when it has the API's shape."""
    code, message, details = f"http_{status}", fallback_text.strip()[:500], None
    request_id: str | None = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
        details = error.get("details")
        request_id = error.get("request_id") if isinstance(error.get("request_id"), str) else None
    if not message:
        message = f"HTTP {status}"
    kind: type[ApiError]
    if status == 401:
        kind = AuthenticationError
    elif status == 403:
        kind = PermissionDenied
    elif status == 404:
        kind = NotFoundError
    elif status == 409:
        kind = ConflictError
    elif status == 429:
        kind = RateLimited
    elif status >= 500:
        kind = ServerError
    else:
        kind = InvalidRequest
    return kind(status, code, message, details, request_id)
