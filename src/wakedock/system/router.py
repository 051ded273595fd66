"""Health check and Prometheus metrics."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from wakedock import __version__
from wakedock.errors import ErrorResponse, Unauthorized, error_payload

logger = logging.getLogger(__name__)
router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get(
    "/api/health",
    summary="Liveness and database check",
    response_model=Health,
    responses={503: {"model": ErrorResponse, "description": "The database is unreachable"}},
)
async def health(request: Request) -> Health | JSONResponse:
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy"; the reason goes to the log
        logger.warning("health check: database unreachable: %s", type(exc).__name__)
        return JSONResponse(
            error_payload("database_unavailable", "Database unreachable", {"version": __version__}),
            status_code=503,
        )
    return Health(status="ok", version=__version__, database="ok")


def _metrics_allowed(request: Request) -> bool:
    """True when no metrics token is set, or the request carries it as its bearer token."""
    token = request.app.state.settings.metrics_token
    if token is None or not token.get_secret_value():
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())


@router.get(
    "/metrics",
    summary="Prometheus metrics (a bearer token when WAKEDOCK_METRICS_TOKEN is set)",
    response_class=Response,
    responses={401: {"model": ErrorResponse, "description": "Metrics token missing or wrong"}},
)
async def metrics(request: Request) -> Response:
    if not _metrics_allowed(request):
        raise Unauthorized("This server's metrics need its metrics token (Authorization: Bearer)")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
