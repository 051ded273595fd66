"""Every error answer has the one JSON shape, including framework errors and crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from wakedock.settings import Settings


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/does-not-exist"), 404, "not_found")
    assert_error(await client.delete("/api/health"), 405, "method_not_allowed")


async def test_malformed_json_and_validation(client: httpx.AsyncClient) -> None:
    broken = await client.post(
        "/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(broken, 422, "validation_error")
    missing = await client.post("/api/auth/login", json={"username": "admin"})
    error = assert_error(missing, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "password"]
    assert "password" in error["message"]


@pytest.fixture
async def crashing_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from wakedock.main import create_app

    app = create_app(settings)

    @app.get("/api/test-crash")
    async def crash() -> dict[str, Any]:
        raise RuntimeError("boom: internal detail")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_unexpected_errors_are_500_without_internals(
    crashing_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await crashing_client.get("/api/test-crash")
    error = assert_error(response, 500, "internal_error")
    assert "boom" not in response.text
    assert error["message"] == "Internal server error"
    assert any("boom" in str(r.exc_info) for r in caplog.records if r.exc_info)
