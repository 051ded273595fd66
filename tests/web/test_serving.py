"""How `wakedock serve` answers for the UI, with and without a build (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import httpx

from wakedock.main import create_app
from wakedock.settings import Settings


def _client(tmp_path: Path, web_dir: Path) -> httpx.AsyncClient:
    app = create_app(Settings(data_dir=tmp_path / "data", web_dir=web_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_without_a_build_the_root_says_how_to_get_the_ui(tmp_path: Path) -> None:
    async with _client(tmp_path, tmp_path / "empty") as client:
        page = await client.get("/dashboards/7")
        assert page.status_code == 200
        assert "make web" in page.text
        assert "Node.js" in page.text
        missing = await client.get("/api/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


async def test_a_build_is_served_with_the_app_shell_as_fallback(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<div id=root>shell</div>")
    (dist / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_text("outside the build")
    async with _client(tmp_path, dist) as client:
        asset = await client.get("/assets/app-1234.js")
        assert asset.text == "console.log('app')"
        assert "immutable" in asset.headers["cache-control"]
        for path in ("/", "/notifications", "/dashboards/3/edit", "/assets/..%2F..%2Fsecret.txt"):
            shell = await client.get(path)
            assert shell.status_code == 200, path
            assert shell.text == "<div id=root>shell</div>", path
            assert shell.headers["cache-control"] == "no-cache"
        assert (await client.head("/")).status_code == 200
        # Only reads get the UI; other methods and server paths keep the API's 404 shape.
        for method, path in (("POST", "/"), ("DELETE", "/notifications"), ("GET", "/api/x")):
            answer = await client.request(method, path)
            assert answer.status_code in (404, 405), (method, path)
            assert answer.json()["error"]["code"] in ("not_found", "method_not_allowed")
