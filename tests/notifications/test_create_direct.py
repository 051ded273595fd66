"""POST /api/notifications served by the gateway (``notifications.create_direct``): a valid
create never reaches the app; every other request gets exactly the app's answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from tests.conftest import UserFactory, make_settings
from wakedock.gateway import Gateway
from wakedock.main import create_app
from wakedock.settings import Settings


class AppSpy:
    """The app, recording the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.user_middleware = app.user_middleware
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@pytest.fixture
def spy(app: Any) -> AppSpy:
    return AppSpy(app)


@pytest.fixture
async def gateway(spy: AppSpy) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=Gateway(spy), client=("203.0.113.7", 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c


def created_count(status: str) -> float:
    labels = {"method": "POST", "route": "/api/notifications", "status": status}
    return REGISTRY.get_sample_value("wakedock_http_requests_total", labels) or 0.0


async def test_a_valid_create_is_served_without_the_app(
    client: httpx.AsyncClient, gateway: httpx.AsyncClient, spy: AppSpy, make_user: UserFactory
) -> None:
    alice = await make_user()
    before = created_count("201")
    direct = await gateway.post(
        "/api/notifications", json={"title": "direct"}, headers=alice.headers
    )
    assert direct.status_code == 201
    assert ("POST", "/api/notifications") not in spy.seen
    assert created_count("201") == before + 1  # the app's metric, under the route's own label
    through_app = await client.post(
        "/api/notifications", json={"title": "through the app"}, headers=alice.headers
    )
    assert created_count("201") == before + 2
    # The same shape either way, and both are stored.
    assert set(direct.json()) == set(through_app.json())
    assert direct.headers["content-type"] == through_app.headers["content-type"]
    listed = (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    assert [n["title"] for n in listed] == ["through the app", "direct"]
    assert listed[1] == direct.json()


async def test_every_refusal_is_the_apps_answer(
    client: httpx.AsyncClient, gateway: httpx.AsyncClient, spy: AppSpy, make_user: UserFactory
) -> None:
    alice = await make_user()
    bob = await make_user()
    auth = alice.headers
    json_type = {"content-type": "application/json"}
    cases: list[tuple[str, dict[str, str], bytes, bool]] = [
        # (what, headers, body, handed to the app)
        ("no token", json_type, b'{"title": "x"}', True),
        (
            "not a bearer token",
            {**json_type, "authorization": "Basic eDp5"},
            b'{"title": "x"}',
            True,
        ),
        ("bad token", {**json_type, "authorization": "Bearer nope"}, b'{"title": "x"}', False),
        ("not JSON", {**auth, **json_type}, b"{title", True),
        ("empty body", {**auth, **json_type}, b"", True),
        ("not an object", {**auth, **json_type}, b"[1, 2]", True),
        ("invalid field", {**auth, **json_type}, b'{"title": "x", "priority": "loud"}', True),
        ("no title", {**auth, **json_type}, b"{}", True),
        ("form body", {**auth, "content-type": "text/plain"}, b'{"title": "x"}', True),
        ("someone else", {**auth, **json_type}, b'{"title": "x", "user_id": %d}' % bob.id, False),
        ("unknown user", {**auth, **json_type}, b'{"title": "x", "user_ids": [999999]}', False),
    ]
    for what, case_headers, body, handed_over in cases:
        spy.seen.clear()
        # The same request id both ways: the direct path's errors carry it as the app's do.
        headers = {**case_headers, "x-request-id": what.replace(" ", "-")}
        expected = await client.post("/api/notifications", content=body, headers=headers)
        answer = await gateway.post("/api/notifications", content=body, headers=headers)
        assert expected.status_code >= 400, what
        assert (answer.status_code, answer.json()) == (expected.status_code, expected.json()), what
        assert answer.headers.get("www-authenticate") == expected.headers.get("www-authenticate")
        assert answer.headers["x-request-id"] == headers["x-request-id"], what
        assert (("POST", "/api/notifications") in spy.seen) is handed_over, what
    for user in (alice, bob):
        assert (await client.get("/api/notifications", headers=user.headers)).json()["items"] == []


async def test_charset_and_json_suffix_content_types_are_served_directly(
    gateway: httpx.AsyncClient, spy: AppSpy, make_user: UserFactory
) -> None:
    alice = await make_user()
    for content_type in ("application/json; charset=utf-8", "application/merge+json", None):
        headers = dict(alice.headers)
        if content_type:
            headers["content-type"] = content_type
        answer = await gateway.post(
            "/api/notifications", content=b'{"title": "x"}', headers=headers
        )
        assert answer.status_code == 201, content_type
    assert spy.seen == []


async def test_a_body_in_several_parts(app: Any, make_user: UserFactory) -> None:
    alice = await make_user()
    parts = [b'{"title": "in ', b"three ", b'parts"}']
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for i, part in enumerate(parts):
        await incoming.put({"type": "http.request", "body": part, "more_body": i < len(parts) - 1})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in alice.headers.items()]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/notifications",
        "raw_path": b"/api/notifications",
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    await Gateway(app)(scope, incoming.get, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 201
    assert b'"title":"in three parts"' in sent[1]["body"]


async def test_with_cors_configured_the_app_serves_creates(
    settings: Settings, make_user: UserFactory
) -> None:
    cors = make_settings(
        settings.data_dir, settings.resolved_database_url, cors_origins=["https://ui.example"]
    )
    app = create_app(cors)
    async with app.router.lifespan_context(app):
        spy = AppSpy(app)
        transport = httpx.ASGITransport(app=Gateway(spy))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
            alice = await make_user()
            answer = await c.post(
                "/api/notifications",
                json={"title": "x"},
                headers={**alice.headers, "origin": "https://ui.example"},
            )
    assert answer.status_code == 201
    assert answer.headers["access-control-allow-origin"] == "https://ui.example"
    assert spy.seen == [("POST", "/api/notifications")]


async def test_a_repeated_header_is_read_as_the_app_reads_it(
    client: httpx.AsyncClient, gateway: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    token = alice.headers["Authorization"]
    json_type = ("content-type", "application/json")
    repeated = [
        [("authorization", token), ("authorization", "Bearer not-a-token"), json_type],
        [("authorization", "Bearer not-a-token"), ("authorization", token), json_type],
        [("authorization", token), json_type, ("content-type", "text/plain")],
        [("authorization", token), ("content-type", "text/plain"), json_type],
    ]
    statuses = []
    for headers in repeated:
        expected = await client.post(
            "/api/notifications", content=b'{"title": "x"}', headers=headers
        )
        answer = await gateway.post(
            "/api/notifications", content=b'{"title": "x"}', headers=headers
        )
        assert answer.status_code == expected.status_code, headers
        statuses.append(answer.status_code)
    assert statuses == [201, 401, 201, 422]  # the first of each header counts


async def test_the_token_is_read_as_the_app_reads_it(
    client: httpx.AsyncClient, gateway: httpx.AsyncClient, spy: AppSpy, make_user: UserFactory
) -> None:
    alice = await make_user()
    token = alice.headers["Authorization"].split()[1]
    for value in (f"bearer {token}", f"BEARER {token}", f"Bearer   {token}  "):
        headers = {"authorization": value}
        expected = await client.post("/api/notifications", json={"title": "x"}, headers=headers)
        answer = await gateway.post("/api/notifications", json={"title": "x"}, headers=headers)
        assert answer.status_code == expected.status_code == 201, value
    assert spy.seen == []
