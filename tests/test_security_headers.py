"""Security headers on every answer (finding 17 of issue 17): the UI gets a strict
Content-Security-Policy and the browser headers, the API ``nosniff`` and no framing, the API
reference a policy naming its CDN and its inline script by hash. The browser tests
(tests/web) check the built UI runs under the policy with no violation."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import bearer
from wakedock.gateway import Gateway
from wakedock.main import create_app
from wakedock.settings import Settings


def policy(response: httpx.Response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    parts = (
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@pytest.fixture
async def ui_client(tmp_path: Path) -> Any:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<div id=root></div>")
    (dist / "assets" / "app-1.js").write_text("console.log(1)")
    app = create_app(Settings(data_dir=tmp_path / "data", web_dir=dist))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/dashboards/3/edit", "/assets/app-1.js"])
async def test_the_ui_gets_a_strict_policy_and_the_browser_headers(
    ui_client: httpx.AsyncClient, path: str
) -> None:
    response = await ui_client.get(path)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert csp["style-src"].split()[0] == "'self'"
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["connect-src"] == "'self'"  # same-origin ws:/wss: included
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["cross-origin-opener-policy"] == "same-origin"


async def test_the_page_without_a_build_needs_no_inline_style(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", web_dir=tmp_path / "empty"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/")
    assert "make web" in response.text
    assert "'unsafe-inline'" not in policy(response)["style-src"]
    assert "style=" not in response.text
    assert "<style" not in response.text


@pytest.mark.parametrize("path", ["/api/health", "/api/nothing-here", "/openapi.json", "/metrics"])
async def test_api_answers_get_nosniff_and_no_framing(
    ui_client: httpx.AsyncClient, path: str
) -> None:
    response = await ui_client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert policy(response) == {"default-src": "'none'", "frame-ancestors": "'none'"}
    assert "x-frame-options" not in response.headers  # a page's header, not an API answer's


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_reference_loads_from_this_origin_and_its_own_inline_script_only(
    ui_client: httpx.AsyncClient, path: str
) -> None:
    response = await ui_client.get(path)
    assert response.status_code == 200
    csp = policy(response)
    scripts = csp["script-src"].split()
    assert "https:" not in response.headers["content-security-policy"]  # no CDN, no fonts
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    if path == "/docs":
        assert inline  # Swagger UI is started by an inline script
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    assert hashes == {s for s in scripts if s.startswith("'sha256-")}
    assert not re.findall(r'(?:src|href)="(https?://[^"]+)', response.text)
    for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', response.text):
        served = await ui_client.get(asset)  # from the package
        assert served.status_code == 200, asset
        assert len(served.content) > 1000
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_gateway_fast_create_answers_with_nosniff(app: Any) -> None:
    """POST /api/notifications served under the framework carries the API headers too, on its
    own answers and on those it hands to the app."""
    transport = httpx.ASGITransport(app=Gateway(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        login = await client.post(
            "/api/auth/login",
            json={
                "username": "admin",
                "password": app.state.settings.admin_password.get_secret_value(),
            },
        )
        headers = bearer(login.json()["access_token"])
        created = await client.post("/api/notifications", json={"title": "hi"}, headers=headers)
        refused = await client.post("/api/notifications", json={"title": 5}, headers=headers)
        anonymous = await client.post("/api/notifications", json={"title": "hi"})
    assert (created.status_code, refused.status_code, anonymous.status_code) == (201, 422, 401)
    for response in (created, refused, anonymous):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert policy(response)["frame-ancestors"] == "'none'"
