"""The notifications REST API: create, list, read state, update, delete, isolation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory, assert_error
from wakedock.db.engine import write_gate
from wakedock.gateway import Gateway


@pytest.fixture(params=["app", "gateway"])
async def client(app: Any, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """Each test here runs against the app and against the gateway ``wakedock serve`` runs,
    which serves POST /api/notifications itself (``notifications.create_direct``)."""
    asgi = Gateway(app) if request.param == "gateway" else app
    transport = httpx.ASGITransport(app=asgi, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Hello")
    response = await client.post("/api/notifications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_for_yourself_and_list(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    first = await create(
        client,
        user.headers,
        title="Disk almost full",
        message="92% on /var",
        type="warning",
        priority="high",
        data={"disk": "/var"},
        action_url="https://example.com/x",
        action_label="Open",
    )
    assert first["user_id"] == user.id
    assert first["type"] == "warning"
    assert first["priority"] == "high"
    assert first["read"] is False
    assert first["source"] == user.username
    second = await create(client, user.headers, title="Second")
    assert second["id"] > first["id"]
    assert second["type"] == "info"
    assert second["priority"] == "normal"

    page = (await client.get("/api/notifications", headers=user.headers)).json()
    assert [n["id"] for n in page["items"]] == [second["id"], first["id"]]
    assert page["unread_count"] == 2
    assert page["next_cursor"] is None


async def test_cursor_pagination_and_filters(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ids = [
        (
            await create(
                client,
                user.headers,
                title=f"n{i}",
                message="needle" if i % 2 else "hay",
                type="error" if i < 3 else "info",
                priority="urgent" if i == 4 else "normal",
            )
        )["id"]
        for i in range(7)
    ]
    seen: list[int] = []
    cursor = None
    while True:
        url = "/api/notifications?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=user.headers)).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]

    async def ids_for(query: str) -> list[int]:
        response = await client.get(f"/api/notifications?{query}", headers=user.headers)
        assert response.status_code == 200, response.text
        return [n["id"] for n in response.json()["items"]]

    assert await ids_for("type=error") == ids[:3][::-1]
    assert await ids_for("priority=urgent") == [ids[4]]
    assert await ids_for("q=NEEDLE") == [ids[5], ids[3], ids[1]]
    await client.post(f"/api/notifications/{ids[0]}/read", headers=user.headers)
    assert ids[0] not in await ids_for("unread_only=true")
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await ids_for(f"since={future.replace('+', '%2B')}") == []
    assert len(await ids_for(f"until={future.replace('+', '%2B')}")) == 7


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "type": "gossip"},
        {"title": "x", "priority": "critical"},
        {"title": "x" * 256},
        {"title": "x", "message": "m" * 10_001},
        {"title": ""},
        {"message": "no title"},
        {"title": "x", "user_id": 1, "topic": "deploy"},
        {"title": "x", "resource_id": "service:web"},
        {"title": "x", "ttl_seconds": 0},
        {"title": "x", "expires_at": "2020-01-01T00:00:00Z"},
        {"title": "x", "data": [1, 2]},
        {"title": "x", "unknown_field": 1},
        {"title": "x", "channels": ["nope"]},
    ],
)
async def test_bad_input_is_422_and_creates_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], body: dict[str, Any]
) -> None:
    assert_error(await client.post("/api/notifications", json=body, headers=admin_headers), 422)
    assert (await client.get("/api/notifications", headers=admin_headers)).json()["items"] == []


async def test_query_validation(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    for query in ("limit=0", "limit=101", "type=nope", "priority=nope", "cursor=@@", "since=soon"):
        assert_error(await client.get(f"/api/notifications?{query}", headers=admin_headers), 422)


async def test_targeting_others_needs_send_permission(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    bob = await make_user()
    operator = await make_user(role="operator")
    assert_error(
        await client.post(
            "/api/notifications", json={"title": "hi", "user_id": bob.id}, headers=alice.headers
        ),
        403,
    )
    assert (await client.get("/api/notifications", headers=bob.headers)).json()["items"] == []
    sent = await create(client, operator.headers, title="hi bob", user_id=bob.id)
    assert sent["user_id"] == bob.id
    many = await client.post(
        "/api/notifications",
        json={"title": "both", "user_ids": [alice.id, bob.id]},
        headers=operator.headers,
    )
    assert many.status_code == 201
    assert sorted(n["user_id"] for n in many.json()["items"]) == sorted([alice.id, bob.id])
    unknown = await client.post(
        "/api/notifications",
        json={"title": "x", "user_ids": [alice.id, 99999]},
        headers=operator.headers,
    )
    error = assert_error(unknown, 422)
    assert error["details"][0]["loc"] == ["body", "user_ids"]
    assert error["message"] == "Unknown or disabled user id: 99999"
    channels = await client.post(
        "/api/notifications",
        json={"title": "x", "channels": ["ops-slack", "ops-mail", "ops-slack"]},
        headers=operator.headers,
    )
    assert assert_error(channels, 422)["message"] == "Unknown channels: ops-slack, ops-mail"
    assert len((await client.get("/api/notifications", headers=alice.headers)).json()["items"]) == 1


async def test_refused_creates_do_not_queue_behind_writes(
    app: Any, backend: str, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """On SQLite, creates write one at a time; the checks come before that queue, so a refused
    create answers while another write holds it, and an accepted one waits its turn."""
    if backend != "sqlite":
        pytest.skip("only SQLite serialises creates (PostgreSQL locks per recipient)")
    alice = await make_user()
    operator = await make_user(role="operator")

    async def post(body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await client.post("/api/notifications", json=body, headers=headers)

    async with app.state.sessionmaker() as holder, write_gate(holder):
        unknown = await asyncio.wait_for(
            post({"title": "x", "user_id": 99999}, operator.headers), 10
        )
        assert_error(unknown, 422)
        forbidden = await asyncio.wait_for(
            post({"title": "x", "user_id": operator.id}, alice.headers), 10
        )
        assert_error(forbidden, 403)
        accepted = asyncio.create_task(
            post({"title": "queued", "user_id": alice.id}, operator.headers)
        )
        done, _ = await asyncio.wait([accepted], timeout=0.3)
        assert not done  # waiting for the write in progress
    assert (await accepted).status_code == 201
    titles = [
        n["title"]
        for n in (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    ]
    assert titles == ["queued"]


async def test_another_users_notification_is_404_everywhere(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    bob = await make_user()
    mine = await create(client, alice.headers, title="private")
    nid = mine["id"]
    for method, path, body in (
        ("GET", f"/api/notifications/{nid}", None),
        ("PUT", f"/api/notifications/{nid}", {"title": "hacked"}),
        ("DELETE", f"/api/notifications/{nid}", None),
        ("POST", f"/api/notifications/{nid}/read", None),
        ("POST", f"/api/notifications/{nid}/unread", None),
    ):
        response = await client.request(method, path, json=body, headers=bob.headers)
        assert_error(response, 404, "not_found")
    read_all = await client.post("/api/notifications/read-all", headers=bob.headers)
    assert read_all.json() == {"count": 0}
    still = (await client.get(f"/api/notifications/{nid}", headers=alice.headers)).json()
    assert still["title"] == "private"
    assert still["read"] is False


async def test_read_unread_read_all_update_delete(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    a = await create(client, user.headers, title="a", type="error")
    b = await create(client, user.headers, title="b", type="error")
    c = await create(client, user.headers, title="c", type="info")
    read = (await client.post(f"/api/notifications/{a['id']}/read", headers=user.headers)).json()
    assert read["read"] is True
    assert read["read_at"] is not None
    unread = (
        await client.post(f"/api/notifications/{a['id']}/unread", headers=user.headers)
    ).json()
    assert unread["read"] is False
    assert unread["read_at"] is None

    count = await client.post(
        "/api/notifications/read-all", json={"type": "error"}, headers=user.headers
    )
    assert count.json() == {"count": 2}
    page = (await client.get("/api/notifications", headers=user.headers)).json()
    assert page["unread_count"] == 1
    assert (await client.post("/api/notifications/read-all", headers=user.headers)).json() == {
        "count": 1
    }

    updated = await client.put(
        f"/api/notifications/{c['id']}",
        json={"title": "c2", "priority": "high", "read": False},
        headers=user.headers,
    )
    assert updated.status_code == 200
    assert updated.json()["title"] == "c2"
    assert updated.json()["priority"] == "high"
    assert updated.json()["read"] is False
    assert_error(
        await client.put(
            f"/api/notifications/{c['id']}", json={"type": "bogus"}, headers=user.headers
        ),
        422,
    )

    assert (
        await client.delete(f"/api/notifications/{b['id']}", headers=user.headers)
    ).status_code == 204
    assert_error(await client.get(f"/api/notifications/{b['id']}", headers=user.headers), 404)


async def test_idempotency_key(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user(role="operator")
    other = await make_user()
    body = {"title": "deploy done", "idempotency_key": "deploy-42", "user_ids": [user.id, other.id]}
    first = await client.post("/api/notifications", json=body, headers=user.headers)
    assert first.status_code == 201
    again = await client.post("/api/notifications", json=body, headers=user.headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len((await client.get("/api/notifications", headers=other.headers)).json()["items"]) == 1
    # Another sender may use the same key.
    mine = await client.post(
        "/api/notifications",
        json={"title": "x", "idempotency_key": "deploy-42"},
        headers=other.headers,
    )
    assert mine.status_code == 201


async def test_group_key_replaces_the_older_unread_one(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    old = await create(client, user.headers, title="CPU 91%", group_key="cpu")
    read_one = await create(client, user.headers, title="CPU 95%", group_key="cpu")
    # The first was unread: replaced. Mark the second read: it survives the third.
    assert_error(await client.get(f"/api/notifications/{old['id']}", headers=user.headers), 404)
    await client.post(f"/api/notifications/{read_one['id']}/read", headers=user.headers)
    newest = await create(client, user.headers, title="CPU 97%", group_key="cpu")
    titles = [
        n["title"]
        for n in (await client.get("/api/notifications", headers=user.headers)).json()["items"]
    ]
    assert titles == ["CPU 97%", "CPU 95%"]
    assert newest["group_key"] == "cpu"


async def test_expired_notifications_never_appear(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    from wakedock.clock import FrozenClock

    clock = FrozenClock(datetime.now(UTC))
    app.state.clock = clock
    user = await make_user()
    short = await create(client, user.headers, title="soon gone", ttl_seconds=60)
    keep = await create(client, user.headers, title="stays")
    assert short["expires_at"] is not None
    clock.advance(seconds=61)
    page = (await client.get("/api/notifications", headers=user.headers)).json()
    assert [n["id"] for n in page["items"]] == [keep["id"]]
    assert page["unread_count"] == 1
    assert_error(await client.get(f"/api/notifications/{short['id']}", headers=user.headers), 404)


async def test_stats(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    await create(client, user.headers, title="a", type="error", priority="high")
    b = await create(client, user.headers, title="b", type="error")
    await create(client, user.headers, title="c", type="deployment")
    await client.post(f"/api/notifications/{b['id']}/read", headers=user.headers)
    stats = (await client.get("/api/notifications/stats", headers=user.headers)).json()
    assert stats["total"] == 3
    assert stats["unread"] == 2
    assert stats["read"] == 1
    assert stats["by_type"]["error"] == 2
    assert stats["by_type"]["deployment"] == 1
    assert stats["by_type"]["info"] == 0
    assert stats["by_priority"]["high"] == 1
    assert len(stats["per_day"]) == 30
    assert stats["per_day"][-1]["count"] == 3


async def test_writes_are_audited(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    n = await create(client, user.headers, title="a")
    await client.post(f"/api/notifications/{n['id']}/read", headers=user.headers)
    await client.delete(f"/api/notifications/{n['id']}", headers=user.headers)
    events = (
        await client.get(
            f"/api/audit?actor_id={user.id}&action=notification.", headers=admin_headers
        )
    ).json()
    assert [e["action"] for e in events["items"]] == [
        "notification.delete",
        "notification.read",
        "notification.create",
    ]
