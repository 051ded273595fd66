"""Broadcasts: audience resolved at send time, exactly that audience, batched fan-out."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import insert, select

from tests.conftest import UserFactory, assert_error
from tests.notifications.conftest import HttpReceiver
from wakedock.auth.models import User, UserRole
from wakedock.auth.passwords import hash_password_sync
from wakedock.notifications.broadcast import fanout
from wakedock.notifications.models import Broadcast, Notification


async def test_broadcast_to_a_role_reaches_exactly_that_role(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory, app: Any
) -> None:
    operators = [await make_user(role="operator") for _ in range(2)]
    users = [await make_user() for _ in range(2)]
    accepted = await client.post(
        "/api/notifications/broadcast",
        json={
            "title": "Maintenance at 22:00",
            "message": "30 minutes",
            "type": "system",
            "priority": "high",
            "target": {"roles": ["operator"]},
        },
        headers=admin_headers,
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["recipients"] == 2
    await app.state.worker.drain()
    for op in operators:
        items = (await client.get("/api/notifications", headers=op.headers)).json()["items"]
        assert [n["title"] for n in items] == ["Maintenance at 22:00"]
        assert items[0]["source"] == "broadcast"
    for user in users:
        assert (await client.get("/api/notifications", headers=user.headers)).json()["items"] == []
    assert (await client.get("/api/notifications", headers=admin_headers)).json()["items"] == []

    # Read state stays per user.
    first = (await client.get("/api/notifications", headers=operators[0].headers)).json()["items"][
        0
    ]
    await client.post(f"/api/notifications/{first['id']}/read", headers=operators[0].headers)
    second = (await client.get("/api/notifications", headers=operators[1].headers)).json()["items"][
        0
    ]
    assert second["read"] is False

    listed = (await client.get("/api/notifications/broadcasts", headers=admin_headers)).json()
    assert listed[0]["id"] == body["broadcast_id"]
    assert listed[0]["status"] == "completed"
    assert listed[0]["recipients"] == 2
    assert listed[0]["delivered"] == 2
    assert listed[0]["read"] == 1


async def test_broadcast_all_and_user_ids_and_disabled_users(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory, app: Any
) -> None:
    a, b, c = [await make_user() for _ in range(3)]
    await client.patch(f"/api/users/{c.id}", json={"is_active": False}, headers=admin_headers)
    everyone = (
        await client.post(
            "/api/notifications/broadcast",
            json={"title": "hello all", "target": {"all": True}},
            headers=admin_headers,
        )
    ).json()
    assert everyone["recipients"] == 3  # admin, a, b — not the disabled one
    picked = (
        await client.post(
            "/api/notifications/broadcast",
            json={"title": "hello b", "target": {"user_ids": [b.id, c.id]}},
            headers=admin_headers,
        )
    ).json()
    assert picked["recipients"] == 1
    await app.state.worker.drain()
    titles = {
        n["title"]
        for n in (await client.get("/api/notifications", headers=b.headers)).json()["items"]
    }
    assert titles == {"hello all", "hello b"}
    titles_a = {
        n["title"]
        for n in (await client.get("/api/notifications", headers=a.headers)).json()["items"]
    }
    assert titles_a == {"hello all"}


async def test_broadcast_permissions_and_bad_input(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    operator = await make_user(role="operator")
    assert_error(
        await client.post(
            "/api/notifications/broadcast",
            json={"title": "x", "target": {"all": True}},
            headers=operator.headers,
        ),
        403,
    )
    assert_error(await client.get("/api/notifications/broadcasts", headers=operator.headers), 403)
    for bad in (
        {"title": "x", "target": {}},
        {"title": "x", "target": {"all": False}},
        {"title": "x", "target": {"all": True, "roles": ["user"]}},
        {"title": "x", "target": {"roles": ["king"]}},
        {"title": "x"},
        {"target": {"all": True}},
        {"title": "x", "type": "nope", "target": {"all": True}},
        {"template": "missing", "target": {"all": True}},
        {"title": "x", "channels": ["nope"], "target": {"all": True}},
    ):
        response = await client.post(
            "/api/notifications/broadcast", json=bad, headers=admin_headers
        )
        assert response.status_code in (404, 422), (bad, response.text)
    assert (await client.get("/api/notifications/broadcasts", headers=admin_headers)).json() == []


async def test_large_broadcast_is_written_in_batches(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(fanout, "BATCH_SIZE", 100)
    password_hash = hash_password_sync("irrelevant-password")
    async with app.state.sessionmaker() as session:
        await session.execute(
            insert(User),
            [
                {
                    "username": f"bulk{i}",
                    "email": f"bulk{i}@example.com",
                    "password_hash": password_hash,
                    "is_active": True,
                    "timezone": "UTC",
                }
                for i in range(1050)
            ],
        )
        ids = (await session.scalars(select(User.id).where(User.username.like("bulk%")))).all()
        await session.execute(insert(UserRole), [{"user_id": uid, "role": "user"} for uid in ids])
        await session.commit()
    accepted = (
        await client.post(
            "/api/notifications/broadcast",
            json={"title": "to all users", "target": {"roles": ["user"]}},
            headers=admin_headers,
        )
    ).json()
    assert accepted["recipients"] == 1050
    await app.state.worker.drain()
    async with app.state.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Notification.user_id).where(
                    Notification.broadcast_id == accepted["broadcast_id"]
                )
            )
        ).all()
        broadcast = await session.get(Broadcast, accepted["broadcast_id"])
    assert sorted(rows) == sorted(ids)
    assert broadcast is not None
    assert broadcast.status == "completed"
    assert broadcast.delivered == 1050


async def test_broadcast_named_channel_gets_one_announcement(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    http_receiver: HttpReceiver,
) -> None:
    for _ in range(3):
        await make_user()
    await client.post(
        "/api/notifications/channels",
        json={"name": "slack-ish", "type": "webhook", "config": {"url": f"{http_receiver.base}/a"}},
        headers=admin_headers,
    )
    await client.post(
        "/api/notifications/broadcast",
        json={"title": "Upgrade tonight", "channels": ["slack-ish"], "target": {"all": True}},
        headers=admin_headers,
    )
    await app.state.worker.drain()
    assert len(http_receiver.requests) == 1
    assert b"Upgrade tonight" in http_receiver.requests[0].body
    assert http_receiver.requests[0].headers["x-wakedock-event"] == "broadcast"


async def test_audience_count_matches_what_a_broadcast_reaches(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory, app: Any
) -> None:
    operators = [await make_user(role="operator") for _ in range(3)]
    plain = await make_user()
    await client.patch(
        f"/api/users/{operators[2].id}", json={"is_active": False}, headers=admin_headers
    )

    async def count(target: dict[str, Any]) -> int:
        answer = await client.post(
            "/api/notifications/broadcast/audience", json={"target": target}, headers=admin_headers
        )
        assert answer.status_code == 200, answer.text
        assert set(answer.json()) == {"recipients"}
        recipients: int = answer.json()["recipients"]
        return recipients

    assert await count({"roles": ["operator"]}) == 2  # the disabled one is not counted
    assert await count({"all": True}) == 4  # admin, two operators, the plain user
    assert await count({"user_ids": [plain.id, operators[2].id, 999_999]}) == 1
    assert await count({"roles": ["operator", "user"]}) == 3

    # The same audience broadcast for real reaches exactly the counted number.
    sent = await client.post(
        "/api/notifications/broadcast",
        json={"title": "counted", "target": {"roles": ["operator"]}},
        headers=admin_headers,
    )
    assert sent.json()["recipients"] == 2
    await app.state.worker.drain()
    listed = (await client.get("/api/notifications/broadcasts", headers=admin_headers)).json()
    assert listed[0]["delivered"] == 2


async def test_audience_count_validates_and_needs_the_broadcast_permission(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    bad = await client.post(
        "/api/notifications/broadcast/audience",
        json={"target": {"all": True, "roles": ["user"]}},
        headers=admin_headers,
    )
    assert_error(bad, 422, "validation_error")
    unknown_role = await client.post(
        "/api/notifications/broadcast/audience",
        json={"target": {"roles": ["wizard"]}},
        headers=admin_headers,
    )
    assert_error(unknown_role, 422)
    operator = await make_user(role="operator")
    forbidden = await client.post(
        "/api/notifications/broadcast/audience",
        json={"target": {"all": True}},
        headers=operator.headers,
    )
    assert_error(forbidden, 403)
