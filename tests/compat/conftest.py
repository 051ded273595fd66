"""Every compat test runs against the app and against ``wakedock serve``'s gateway, whose
direct path serves Gotify's and ntfy's publishes (``compat.direct``): both must answer alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from wakedock.gateway import Gateway


@pytest.fixture(params=["app", "gateway"])
async def client(app: Any, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    served = Gateway(app) if request.param == "gateway" else app
    transport = httpx.ASGITransport(app=served, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c
