"""A notification's ``data`` is bounded before anything is stored (issue 17, findings 1 and 8).

A create whose ``data`` nested 300 levels answered 500 but was committed; from then on its
recipient's ``GET /api/notifications`` failed ("Maximum serialization depth exceeded"). A 10 MB
``data`` was stored and returned by every list. Both run against the app and against the
gateway's direct create path, which must refuse exactly what the app refuses.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import UserFactory, assert_error
from wakedock.gateway import Gateway
from wakedock.main import create_app
from wakedock.settings import Settings


@pytest.fixture(params=["app", "gateway"])
async def client(app: Any, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    asgi = Gateway(app) if request.param == "gateway" else app
    transport = httpx.ASGITransport(app=asgi, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


async def stored(app: Any) -> int:
    async with app.state.sessionmaker() as db:
        return int((await db.execute(text("SELECT count(*) FROM notifications"))).scalar_one())


@pytest.mark.parametrize(
    "body",
    [
        {"title": "deep", "data": nested(300)},
        {"title": "deep", "data": nested(33)},
        {"title": "deep list", "data": {"a": json.loads("[" * 40 + "]" * 40)}},
        {"title": "big", "data": {"blob": "x" * (70 * 1024)}},
        {"title": "wide", "data": {str(i): i for i in range(10_000)}},
        {"template": "t", "variables": nested(300)},
        {"title": "huge int", "data": {"n": 2**64}},
    ],
    ids=["depth300", "depth33", "list40", "70KiB", "wide", "variables", "int65"],
)
async def test_oversized_data_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
    app: Any,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    template = await client.post(
        "/api/notifications/templates",
        json={"name": "t", "title_template": "Hi {{ a }}"},
        headers=admin_headers,
    )
    assert template.status_code == 201, template.text
    user = await make_user()
    before = await stored(app)
    response = await client.post("/api/notifications", json=body, headers=user.headers)
    assert_error(response, 422, "validation_error")
    assert await stored(app) == before
    listed = await client.get("/api/notifications", headers=user.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []


async def test_a_body_over_the_request_limit_is_413_on_both_paths(
    client: httpx.AsyncClient, app: Any, make_user: UserFactory
) -> None:
    user = await make_user()
    before = await stored(app)
    body = {"title": "t", "data": {"blob": "x" * (10 * 1024 * 1024)}}
    response = await client.post("/api/notifications", json=body, headers=user.headers)
    assert_error(response, 413, "payload_too_large")
    nul = await client.post(
        "/api/notifications",
        content=b'{"title":"a\\u0000"}',
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert_error(nul, 422, "validation_error")
    assert await stored(app) == before
    # Data at the limits is fine.
    for data in (nested(32), {"blob": "x" * (60 * 1024)}, {"n": 2**63 - 1, "f": 1.5}):
        response = await client.post(
            "/api/notifications", json={"title": "ok", "data": data}, headers=user.headers
        )
        assert response.status_code == 201, response.text
        assert response.json()["data"] == data
    listed = await client.get("/api/notifications", headers=user.headers)
    assert len(listed.json()["items"]) == 3


async def test_limits_are_settings(settings: Settings, make_user: UserFactory) -> None:
    app = create_app(settings.model_copy(update={"data_max_depth": 4, "data_max_bytes": 300}))
    async with app.router.lifespan_context(app):
        for asgi in (app, Gateway(app)):
            transport = httpx.ASGITransport(app=asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                tokens = (
                    await c.post(
                        "/api/auth/login",
                        json={"username": "admin", "password": "admin-password-1"},
                    )
                ).json()
                headers = {"Authorization": f"Bearer {tokens['access_token']}"}
                for data, status in [
                    (nested(4), 201),
                    (nested(5), 422),
                    ({"s": "x" * 250}, 201),
                    ({"s": "x" * 300}, 422),
                ]:
                    response = await c.post(
                        "/api/notifications", json={"title": "t", "data": data}, headers=headers
                    )
                    assert response.status_code == status, (data, response.text)


async def test_a_row_stored_too_deep_does_not_break_its_recipients_list(
    client: httpx.AsyncClient, app: Any, make_user: UserFactory
) -> None:
    """Rows poisoned before this fix still list: the too-deep ``data`` shows as a marker."""
    user = await make_user()
    response = await client.post(
        "/api/notifications", json={"title": "poisoned"}, headers=user.headers
    )
    notification_id = response.json()["id"]
    async with app.state.sessionmaker() as db:
        await db.execute(
            text("UPDATE notifications SET data = :data WHERE id = :id"),
            {"data": json.dumps(nested(300)), "id": notification_id},
        )
        await db.commit()
    listed = await client.get("/api/notifications", headers=user.headers)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["title"] == "poisoned"
    assert item["data"] == {"_wakedock": "data out of bounds, not shown"}
    one = await client.get(f"/api/notifications/{notification_id}", headers=user.headers)
    assert one.status_code == 200, one.text
