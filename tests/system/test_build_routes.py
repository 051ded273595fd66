"""``wakedock serve`` builds every route before it serves: no request pays for that."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import routing

from wakedock.main import build_routes, create_app
from wakedock.settings import Settings


def _count_route_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each route FastAPI builds (its lazily built per-route request handling)."""
    context = getattr(routing, "_EffectiveRouteContext", None)
    if context is None or not hasattr(context, "from_api_route"):
        pytest.skip("this FastAPI builds routes differently: the check no longer applies")
    built: list[str] = []
    original = context.from_api_route.__func__

    def counting(cls: Any, *, original_route: Any, **kwargs: Any) -> Any:
        built.append(original_route.path)
        return original(cls, original_route=original_route, **kwargs)

    monkeypatch.setattr(context, "from_api_route", classmethod(counting))
    return built


@pytest.mark.parametrize("prebuilt", [False, True], ids=["lazy", "prebuilt"])
async def test_build_routes_leaves_nothing_for_the_first_requests(
    settings: Settings, backend: str, monkeypatch: pytest.MonkeyPatch, prebuilt: bool
) -> None:
    if backend != "sqlite":
        pytest.skip("routing does not depend on the database")
    built = _count_route_builds(monkeypatch)
    app = create_app(settings)
    if prebuilt:
        build_routes(app)
        assert {"/api/notifications", "/api/health", "/api/users/{user_id}"} <= set(built)
    before = len(built)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
            assert (await c.post("/api/notifications", json={"title": "x"})).status_code == 401
            assert (await c.get("/api/health")).status_code == 200
    # Without build_routes the first requests build the routes they walk past (the control
    # shows the count sees them); with it, none is left to build.
    assert (len(built) == before) is prebuilt
