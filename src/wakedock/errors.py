"""One error hierarchy and the handlers that turn every failure into one JSON shape.

Every 4xx/5xx answer is ``{"error": {"code": ..., "message": ..., "details": ...}}``, with
``"request_id"`` added when the answer is to a request (``wakedock.request_id``): the same id as
the ``X-Request-ID`` header and the request's log lines. Clients that know only the first three
keys are unaffected.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from wakedock.request_id import HEADER as REQUEST_ID_HEADER
from wakedock.request_id import current as current_request_id
from wakedock.system.allow import allowed_methods, literal_path_methods

logger = logging.getLogger(__name__)


class WakeDockError(Exception):
    """Base of every error the API reports on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.headers = headers


class Unauthorized(WakeDockError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Not authenticated", **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(WakeDockError):
    status_code = 403
    code = "forbidden"


class NotFound(WakeDockError):
    status_code = 404
    code = "not_found"


class Conflict(WakeDockError):
    status_code = 409
    code = "conflict"


class ValidationFailed(WakeDockError):
    """A semantic validation failure (422) raised by a service, shaped like request errors."""

    status_code = 422
    code = "validation_error"

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        if field is not None and "details" not in kwargs:
            kwargs["details"] = [{"loc": field.split("."), "msg": message, "type": "value_error"}]
        super().__init__(message, **kwargs)


class RateLimited(WakeDockError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(
            message,
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class ServiceUnavailable(WakeDockError):
    status_code = 503
    code = "service_unavailable"


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = Field(
        default=None, description="The request's X-Request-ID: quote it when reporting a problem"
    )


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorBody


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Missing permission",
    404: "Not found",
    409: "Conflict",
    413: "Request body too large",
    422: "Validation error",
    429: "Too many requests",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in _DESCRIPTIONS.items()
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_payload(
    code: str, message: str, details: Any = None, *, request_id: str | None = None
) -> dict[str, Any]:
    body = {"code": code, "message": message, "details": jsonable_encoder(details)}
    rid = request_id or current_request_id()
    if rid is not None:
        body["request_id"] = rid
    return {"error": body}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        msg = str(err.get("msg", ""))
        # A validator's own message, without pydantic's "Value error, " in front of it.
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        item = {"loc": list(err.get("loc", ())), "msg": msg, "type": err.get("type")}
        details.append(item)
    return details


def error_response(exc: WakeDockError) -> JSONResponse:
    """The answer to an error the API reports on purpose."""
    return JSONResponse(
        error_payload(exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def unexpected_error_response(
    method: str, path: str, exc: BaseException, request_id: str | None = None
) -> JSONResponse:
    """Log an unexpected failure with its traceback; answer 500 without its details."""
    rid = request_id or current_request_id()
    extra = {"request_id": rid} if rid else None
    logger.exception("unhandled error on %s %s", method, path, exc_info=exc, extra=extra)
    return JSONResponse(
        error_payload("internal_error", "Internal server error", request_id=rid),
        status_code=500,
        # Answered outside the request id middleware (Starlette's outermost layer): say it here.
        headers={REQUEST_ID_HEADER: rid} if rid else None,
    )


async def _handle_wakedock(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WakeDockError)
    return error_response(exc)


async def _handle_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = details[0] if details else None
    message = "Invalid request"
    if first:
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        message = f"{field}: {first['msg']}" if field else str(first["msg"])
    return JSONResponse(error_payload("validation_error", message, details), status_code=422)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:  # every method of the path, not only the first route's
        literal = literal_path_methods(request.app.openapi()["paths"], request.url.path)
        methods = allowed_methods(request.app.router.routes, request.scope, literal)
        headers = {**(headers or {}), "Allow": ", ".join(methods)}
    return JSONResponse(
        error_payload(code, str(exc.detail)), status_code=exc.status_code, headers=headers
    )


async def _handle_vanished(_: Request, exc: Exception) -> JSONResponse:
    # A row the request loaded was deleted by another request before this one wrote it (the
    # fuzz run found DELETE /api/dashboards/{id}/share racing the layout's deletion: a 500).
    # The request's transaction is rolled back, so nothing of it is stored: the resource is gone.
    logger.info("row deleted concurrently: %s", exc)
    return JSONResponse(
        error_payload("not_found", "Not found (deleted by another request meanwhile)"),
        status_code=404,
    )


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return unexpected_error_response(
        request.method, request.url.path, exc, current_request_id(request.scope)
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WakeDockError, _handle_wakedock)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(StaleDataError, _handle_vanished)
    app.add_exception_handler(ObjectDeletedError, _handle_vanished)
    app.add_exception_handler(Exception, _handle_unexpected)
