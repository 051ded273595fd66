"""Health check and Prometheus metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from wakedock import __version__
from wakedock.errors import ErrorResponse, error_payload

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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
