"""Gotify's and ntfy's publishes on the gateway's direct path (``compat.direct``): each is
served there (its fast path counter grows), and its errors keep the protocol's own shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.compat.gotify_helpers import assert_gotify_error, key, new_app, new_client
from tests.conftest import UserFactory
from wakedock import fast_paths
from wakedock.compat import direct
from wakedock.gateway import Gateway


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Through the gateway only (the other compat tests run both ways)."""
    transport = httpx.ASGITransport(app=Gateway(app), client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c


def assert_ntfy_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["http"] == status
    assert body.get("code") == code
    assert isinstance(body["error"], str)


def test_which_requests_take_the_direct_path() -> None:
    assert direct.which("POST", "/message") == (direct.GOTIFY, None)
    assert direct.which("GET", "/message") is None
    assert direct.which("PUT", "/backups") == (direct.NTFY, "backups")
    assert direct.which("POST", "/backups") == (direct.NTFY, "backups")
    assert direct.which("POST", "/") == (direct.NTFY_JSON, None)
    assert direct.which("GET", "/backups") is None  # the web UI's page
    # Reserved names (WakeDock's and Gotify's paths) and other paths: the app routes them.
    for path in ("/api", "/metrics", "/health", "/application", "/backups/json", "/a b"):
        assert direct.which("POST", path) is None, path


async def test_gotify_publish_is_served_directly_with_gotify_errors(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    app_token = (await new_app(client, await new_client(client, user)))["token"]
    before = fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH]
    sent = await client.post(
        "/message", json={"message": "done", "priority": 8}, headers=key(app_token)
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["message"] == "done"
    assert sent.json()["priority"] == 8
    assert "extras" not in sent.json()  # None fields left out, as the route's model does
    assert fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH] == before + 1
    assert sent.headers["x-content-type-options"] == "nosniff"
    assert "x-request-id" in sent.headers

    wrong = await client.post("/message", json={"message": "x"}, headers=key("AwrongToken"))
    assert_gotify_error(wrong, 401)
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert_gotify_error(await client.post("/message", json={"message": "x"}), 401)
    assert_gotify_error(await client.post("/message", json={}, headers=key(app_token)), 400)
    assert_gotify_error(
        await client.post("/message", content=b"{nope", headers=key(app_token)), 400
    )
    nul = await client.post("/message", json={"message": "a\u0000b"}, headers=key(app_token))
    assert_gotify_error(nul, 400)
    huge = await client.post(
        "/message", json={"message": "x" * (2 * 1024 * 1024)}, headers=key(app_token)
    )
    assert_gotify_error(huge, 413)
    assert fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH] == before + 5  # the guard's: not
    listed = await client.get("/message", headers=key(await new_client(client, user, "p2")))
    assert listed.status_code == 200, listed.text
    assert [m["message"] for m in listed.json()["messages"]] == ["done"]  # nothing else stored


async def test_ntfy_publish_is_served_directly_with_ntfy_errors(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user("operator")  # holds notifications:send
    h = user.headers
    subscribed = await client.get("/backups/json", params={"poll": "1"}, headers=h)
    assert subscribed.status_code == 200, subscribed.text
    before = fast_paths.USES[fast_paths.GATEWAY_NTFY_PUBLISH]
    sent = await client.post("/backups", content=b"done", headers={**h, "Title": "Backup"})
    assert sent.status_code == 200, sent.text
    assert sent.json()["topic"] == "backups"
    assert sent.json()["title"] == "Backup"
    assert sent.json()["id"].startswith("wd")
    as_json = await client.post("/", json={"topic": "backups", "message": "again"}, headers=h)
    assert as_json.status_code == 200, as_json.text
    assert fast_paths.USES[fast_paths.GATEWAY_NTFY_PUBLISH] == before + 2

    bad = {"Authorization": "Bearer wd_not_a_token"}
    assert_ntfy_error(await client.put("/backups", content=b"x", headers=bad), 401, 40101)
    assert_ntfy_error(
        await client.post("/", json={"topic": "a b", "message": "x"}, headers=h), 400, 40009
    )
    assert_ntfy_error(await client.post("/backups", content=b"x" * 4097, headers=h), 413, 41301)
    nul = await client.post("/backups", content=b"a\x00b", headers=h)
    assert_ntfy_error(nul, 400, 40011)
    huge = await client.post("/backups", content=b"x" * (2 * 1024 * 1024), headers=h)
    assert_ntfy_error(huge, 413, 41303)
    rule = await client.put(
        "/api/notifications/topic-access/backups",
        json={"publish_roles": ["admin"]},
        headers=admin_headers,
    )
    assert rule.status_code == 200, rule.text
    assert_ntfy_error(await client.post("/backups", content=b"x", headers=h), 403, 40301)
    # Only the two publishes were stored.
    polled = await client.get("/backups/json", params={"poll": "1"}, headers=h)
    lines = [line for line in polled.text.splitlines() if line]
    assert len(lines) == 2, polled.text
