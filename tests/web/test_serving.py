"""How `wakedock serve` answers for the UI, with and without a build (no browser needed).

Synchronous tests that run their requests on a loop in another thread (``run_sync``): this
folder's browser tests keep Playwright's sync loop running on the main thread.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import run_sync
from wakedock.main import create_app
from wakedock.settings import Settings


def _requests(tmp_path: Path, web_dir: Path, calls: list[tuple[str, str]]) -> list[httpx.Response]:
    app = create_app(Settings(data_dir=tmp_path / "data", web_dir=web_dir))

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.request(method, path) for method, path in calls]

    answers: list[httpx.Response] = run_sync(send)
    return answers


def test_without_a_build_the_root_says_how_to_get_the_ui(tmp_path: Path) -> None:
    page, missing = _requests(
        tmp_path, tmp_path / "empty", [("GET", "/dashboards/7"), ("GET", "/api/nothing-here")]
    )
    assert page.status_code == 200
    assert "make web" in page.text
    assert "Node.js" in page.text
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_build_is_served_with_the_app_shell_as_fallback(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<div id=root>shell</div>")
    (dist / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_text("outside the build")
    shells = ["/", "/notifications", "/dashboards/3/edit", "/assets/..%2F..%2Fsecret.txt"]
    # Only reads get the UI; other methods and server paths keep the API's error shape.
    # (POST / is ntfy's JSON publish: tests/compat/ntfy.)
    refused = [("PATCH", "/"), ("DELETE", "/notifications"), ("GET", "/api/x")]
    answers = _requests(
        tmp_path,
        dist,
        [("GET", "/assets/app-1234.js"), ("HEAD", "/")]
        + [("GET", path) for path in shells]
        + refused,
    )
    asset, head = answers[0], answers[1]
    assert asset.text == "console.log('app')"
    assert "immutable" in asset.headers["cache-control"]
    assert head.status_code == 200
    for path, shell in zip(shells, answers[2 : 2 + len(shells)], strict=True):
        assert shell.status_code == 200, path
        assert shell.text == "<div id=root>shell</div>", path
        assert shell.headers["cache-control"] == "no-cache"
    for call, answer in zip(refused, answers[2 + len(shells) :], strict=True):
        assert answer.status_code in (404, 405), call
        assert answer.json()["error"]["code"] in ("not_found", "method_not_allowed")
