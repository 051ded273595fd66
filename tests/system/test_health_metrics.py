"""Health check (with a real database probe) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import assert_error
from wakedock import __version__
from wakedock.db.engine import create_engine


async def test_health_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "database": "ok"}


async def test_health_reports_an_unreachable_database(client: httpx.AsyncClient, app: Any) -> None:
    healthy_engine = app.state.engine
    # Nothing listens on port 1: a real connection failure.
    app.state.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        response = await client.get("/api/health")
    finally:
        await app.state.engine.dispose()
        app.state.engine = healthy_engine
    assert_error(response, 503, "database_unavailable")


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/health")
    await client.get("/api/users/12345")
    text = (await client.get("/metrics")).text
    assert "wakedock_http_requests_total" in text
    assert 'route="/api/health"' in text
    assert 'route="/api/users/{user_id}"' in text
    assert "/api/users/12345" not in text
