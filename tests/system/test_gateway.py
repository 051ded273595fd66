"""The gateway's direct create path turns itself off for a middleware it does not mirror."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.middleware.base import BaseHTTPMiddleware

from tests.conftest import make_settings
from wakedock.gateway import Gateway
from wakedock.main import create_app


def test_the_direct_create_path_runs_only_when_it_mirrors_every_middleware(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    app = create_app(settings)
    assert Gateway(app).direct_create

    # A middleware added to the app without teaching create_direct what it does: the create
    # goes through the app (so the middleware runs), and the start-up log says why.
    async def tag(request, call_next):  # type: ignore[no-untyped-def]
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=tag)
    with caplog.at_level(logging.INFO, logger="wakedock.gateway"):
        assert not Gateway(app).direct_create
    (record,) = [r for r in caplog.records if r.name == "wakedock.gateway"]
    assert record.levelno == logging.WARNING
    assert "BaseHTTPMiddleware" in record.getMessage()


def test_with_cors_every_create_goes_through_the_app(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        tmp_path / "data",
        f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        cors_origins=["https://ops.example.com"],
    )
    with caplog.at_level(logging.INFO, logger="wakedock.gateway"):
        assert not Gateway(create_app(settings)).direct_create
    (record,) = [r for r in caplog.records if r.name == "wakedock.gateway"]
    assert record.levelno == logging.INFO
    assert "CORSMiddleware" in record.getMessage()
