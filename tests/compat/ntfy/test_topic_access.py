"""Topics' access rules (notifications/topics): the admin API and its refusals, and the rules
enforced on every publish and subscribe path: ntfy's publish forms and streams, WakeDock's own
create and subscriptions, Gotify applications bound to a topic, delivery to subscribers a
tightened rule excludes, and anonymous publishing to a topic an admin opened. Both databases."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from tests.compat.gotify_helpers import assert_gotify_error, key, new_app, new_client
from tests.compat.ntfy.test_ntfy_api import assert_ntfy_error, poll
from tests.compat.ntfy.test_ntfy_live import make_user as live_user
from tests.compat.ntfy.test_ntfy_live import serve
from tests.conftest import UserFactory, UserHandle
from wakedock.compat.ntfy.visitors import Visitors

ACCESS = "/api/notifications/topic-access"


async def set_rule(
    client: httpx.AsyncClient, admin: dict[str, str], topic: str, **rule: Any
) -> dict[str, Any]:
    response = await client.put(f"{ACCESS}/{topic}", json=rule, headers=admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def audit_rows(client: httpx.AsyncClient, admin: dict[str, str], action: str) -> list[Any]:
    response = await client.get("/api/audit", params={"action": action}, headers=admin)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def publish_forms(topic: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request kwargs) for each of ntfy's ways to publish to ``topic``."""
    return [
        ("PUT", f"/{topic}", {"content": b"hi"}),
        ("POST", f"/{topic}", {"content": b"hi", "headers": {"Title": "T"}}),
        ("GET", f"/{topic}/publish", {"params": {"message": "hi"}}),
        ("POST", "/", {"json": {"topic": topic, "message": "hi"}}),
    ]


async def test_admin_manages_rules_audited(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert (await client.get(ACCESS, headers=admin_headers)).json() == []
    missing = await client.get(f"{ACCESS}/media", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    rule = await set_rule(
        client, admin_headers, "media", publish_roles=["operator", "operator"], subscribe_roles=None
    )
    assert rule["publish_roles"] == ["operator"]  # deduplicated
    assert (rule["subscribe_roles"], rule["anonymous_publish"]) == (None, False)
    rule = await set_rule(client, admin_headers, "media", anonymous_publish=True)
    assert (rule["publish_roles"], rule["anonymous_publish"]) == (None, True)  # set whole
    listed = (await client.get(ACCESS, headers=admin_headers)).json()
    assert [r["topic"] for r in listed] == ["media"]
    got = (await client.get(f"{ACCESS}/media", headers=admin_headers)).json()
    assert got["anonymous_publish"] is True
    assert (await client.delete(f"{ACCESS}/media", headers=admin_headers)).status_code == 204
    assert (await client.delete(f"{ACCESS}/media", headers=admin_headers)).status_code == 404
    assert (await client.get(ACCESS, headers=admin_headers)).json() == []
    sets = await audit_rows(client, admin_headers, "topic_access.set")
    assert [(r["details"]["created"], r["resource_id"]) for r in sets] == [
        (False, "media"),
        (True, "media"),
    ]
    assert sets[0]["details"]["anonymous_publish"] is True
    assert sets[0]["actor_name"] == "admin"
    (deleted,) = await audit_rows(client, admin_headers, "topic_access.delete")
    assert deleted["details"]["topic"] == "media"


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        ("media", {"publish_roles": ["wizard"]}),  # unknown role
        ("media", {"publish_roles": []}),  # empty: null is the default rule
        ("media", {"subscribe_roles": ["user"] * 10_000}),  # huge list
        ("media", {"publish_roles": ["user\u0000"]}),  # NUL
        ("media", {"anonymous_publish": "yes"}),  # not a boolean
        ("media", {"unknown": 1}),
        ("bad.topic", {}),  # not ntfy's syntax
        ("x" * 65, {}),
        ("caf%C3%A9", {}),
        ("a%00b", {}),
    ],
)
async def test_bad_rules_refused_and_nothing_changes(
    client: httpx.AsyncClient, admin_headers: dict[str, str], topic: str, body: dict[str, Any]
) -> None:
    response = await client.put(f"{ACCESS}/{topic}", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert "error" in response.json()
    assert (await client.get(ACCESS, headers=admin_headers)).json() == []
    assert await audit_rows(client, admin_headers, "topic_access.set") == []


async def test_non_admins_cannot_read_or_change_rules(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    await set_rule(client, admin_headers, "media", publish_roles=["admin"])
    for role in ("operator", "user"):
        user = await make_user(role)
        for method, path, extra in (
            ("GET", ACCESS, {}),
            ("GET", f"{ACCESS}/media", {}),
            ("PUT", f"{ACCESS}/media", {"json": {"anonymous_publish": True}}),
            ("DELETE", f"{ACCESS}/media", {}),
        ):
            response = await client.request(method, path, headers=user.headers, **extra)
            assert response.status_code == 403, (role, method, response.text)
    assert (await client.put(f"{ACCESS}/media", json={})).status_code == 401
    rule = (await client.get(f"{ACCESS}/media", headers=admin_headers)).json()
    assert (rule["publish_roles"], rule["anonymous_publish"]) == (["admin"], False)


async def test_default_rule_unchanged(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    """No rule: notifications:send publishes, anyone signed in subscribes, no anonymous."""
    sender, reader = await make_user("operator"), await make_user("user")
    await poll(client, "/open1/json", reader.headers)
    ok = await client.post("/open1", content=b"hi", headers=sender.headers)
    assert ok.status_code == 200, ok.text
    assert len(await poll(client, "/open1/json", reader.headers)) == 1
    assert_ntfy_error(await client.post("/open1", content=b"x", headers=reader.headers), 403, 40301)
    assert_ntfy_error(await client.post("/open1", content=b"x"), 401, 40101)


async def test_restricted_publish_on_every_form(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    operator, user, reader = (
        await make_user("operator"),
        await make_user("user"),
        await make_user("user"),
    )
    await poll(client, "/ops/json", reader.headers)
    await set_rule(client, admin_headers, "ops", publish_roles=["admin"])
    for method, path, kwargs in publish_forms("ops"):
        headers = {**kwargs.pop("headers", {}), **operator.headers}
        refused = await client.request(method, path, headers=headers, **kwargs)
        assert_ntfy_error(refused, 403, 40301)
    native = await client.post(
        "/api/notifications", json={"topic": "ops", "title": "t"}, headers=operator.headers
    )
    assert native.status_code == 403, native.text
    assert native.json()["error"]["code"] == "topic_publish_restricted"
    delayed = await client.post("/ops", content=b"x", headers={**operator.headers, "X-Delay": "1h"})
    assert_ntfy_error(delayed, 403, 40301)
    assert await poll(client, "/ops/json", reader.headers) == []  # nothing stored
    # Admins pass every rule; a role the rule names publishes.
    assert (await client.post("/ops", content=b"a", headers=admin_headers)).status_code == 200
    await set_rule(client, admin_headers, "ops", publish_roles=["operator"])
    for method, path, kwargs in publish_forms("ops"):
        headers = {**kwargs.pop("headers", {}), **operator.headers}
        ok = await client.request(method, path, headers=headers, **kwargs)
        assert ok.status_code == 200, (path, ok.text)
    assert len(await poll(client, "/ops/json", reader.headers)) == 5
    # A rule never grants what the role lacks: a user has no notifications:send.
    await set_rule(client, admin_headers, "ops", publish_roles=["user"])
    assert_ntfy_error(await client.post("/ops", content=b"x", headers=user.headers), 403, 40301)


async def test_restricted_subscribe_on_every_form(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    operator, user = await make_user("operator"), await make_user("user")
    await set_rule(client, admin_headers, "secret", subscribe_roles=["operator"])
    for path in (
        "/secret/json",
        "/secret/sse",
        "/secret/raw",
        "/secret/auth",
        "/public1,secret/json",
        "/secret,public1/sse",
    ):
        response = await client.get(path, params={"poll": "1"}, headers=user.headers)
        assert_ntfy_error(response, 403, 40301)
    refused = await client.post(
        "/api/notifications/subscriptions", json={"topic": "secret"}, headers=user.headers
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "topic_subscribe_restricted"
    # The refused comma list subscribed her to none of its topics.
    mine = (await client.get("/api/notifications/subscriptions", headers=user.headers)).json()
    assert mine == []
    assert await poll(client, "/public1,secret/json", operator.headers) == []
    assert (await client.get("/secret/auth", headers=operator.headers)).json() == {"success": True}


async def test_tightened_rule_stops_existing_subscribers_at_delivery(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    sender, user, operator = (
        await make_user("operator"),
        await make_user("user"),
        await make_user("operator"),
    )
    await poll(client, "/feed/json", user.headers)
    await poll(client, "/feed/json", operator.headers)
    await set_rule(client, admin_headers, "feed", subscribe_roles=["operator"])
    sent = await client.post(
        "/api/notifications", json={"topic": "feed", "title": "one"}, headers=sender.headers
    )
    assert sent.status_code == 201, sent.text
    user_items = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
    assert user_items == []
    op_items = (await client.get("/api/notifications", headers=operator.headers)).json()["items"]
    assert [n["title"] for n in op_items] == ["one"]
    # Her subscription stays: loosening the rule delivers to her again.
    assert (await client.delete(f"{ACCESS}/feed", headers=admin_headers)).status_code == 204
    await client.post("/feed", content=b"two", headers=sender.headers)
    assert [m["message"] for m in await poll(client, "/feed/json", user.headers)] == ["two"]


async def test_anonymous_publish_off_opened_closed(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    reader = await make_user("user")
    await poll(client, "/alerts/json", reader.headers)
    for method, path, kwargs in publish_forms("alerts"):
        assert_ntfy_error(await client.request(method, path, **kwargs), 401, 40101)
    await set_rule(client, admin_headers, "alerts", anonymous_publish=True)
    for method, path, kwargs in publish_forms("alerts"):
        response = await client.request(method, path, **kwargs)
        assert response.status_code == 200, (path, response.text)
    got = await poll(client, "/alerts/json", reader.headers)
    assert [m["message"] for m in got] == ["hi"] * 4
    mine = (await client.get("/api/notifications", headers=reader.headers)).json()["items"]
    assert {n["source"] for n in mine} == {"ntfy"}
    (row, *_) = await audit_rows(client, admin_headers, "notification.create")
    assert (row["actor_id"], row["actor_name"]) == (None, "anonymous")
    assert row["ip"] == "203.0.113.7"
    # Still refused: another topic, a delay, subscribing, WakeDock's own API.
    assert_ntfy_error(await client.post("/other1", content=b"x"), 401, 40101)
    delayed = await client.post("/alerts", content=b"x", headers={"X-Delay": "1h"})
    assert_ntfy_error(delayed, 401, 40101)
    assert_ntfy_error(await client.get("/alerts/json", params={"poll": "1"}), 401, 40101)
    native = await client.post("/api/notifications", json={"topic": "alerts", "title": "t"})
    assert native.status_code == 401
    # Rate-limited by address, as ntfy's visitor limit.
    app.state.ntfy_visitors = Visitors(burst=2)
    assert (await client.post("/alerts", content=b"1")).status_code == 200
    assert (await client.post("/alerts", content=b"2")).status_code == 200
    limited = await client.post("/alerts", content=b"3")
    assert_ntfy_error(limited, 429, 42901)
    assert int(limited.headers["retry-after"]) >= 1
    # Closed again.
    await set_rule(client, admin_headers, "alerts", anonymous_publish=False)
    app.state.ntfy_visitors = Visitors()
    assert_ntfy_error(await client.post("/alerts", content=b"x"), 401, 40101)
    assert len(await poll(client, "/alerts/json", reader.headers)) == 6


async def test_gotify_application_bound_to_a_restricted_topic(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    sender: UserHandle = await make_user("operator")
    ctoken = await new_client(client, sender)
    bound = await new_app(client, ctoken, "Sonarr", topic="media")
    await set_rule(client, admin_headers, "media", publish_roles=["admin"])
    refused = await client.post(
        "/application", json={"name": "Radarr", "topic": "media"}, headers=key(ctoken)
    )
    assert_gotify_error(refused, 403)
    # Publishing through the application bound earlier is checked again.
    message = await client.post("/message", json={"message": "x"}, headers=key(bound["token"]))
    assert_gotify_error(message, 403)
    await set_rule(client, admin_headers, "media", publish_roles=["operator"])
    message = await client.post("/message", json={"message": "x"}, headers=key(bound["token"]))
    assert message.status_code == 200, message.text


async def test_websocket_refused_for_a_restricted_topic_in_a_list(
    tmp_path: Path, database_url: str
) -> None:
    """ntfy's ``/ws`` over a real server: a comma list holding a topic the caller may not
    subscribe to is refused before the handshake (403), the open topic alone is accepted."""
    async with serve(tmp_path / "data", database_url) as live:
        _, _, user = await live_user(live, "user")
        async with httpx.AsyncClient(base_url=live.base) as http:
            await set_rule(http, live.admin, "vault", subscribe_roles=["operator"])
        token = user["Authorization"].removeprefix("Bearer ")
        auth = base64.urlsafe_b64encode(f"Bearer {token}".encode()).decode().rstrip("=")
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"ws://127.0.0.1:{live.port}/news,vault/ws?auth={auth}"):
                pass
        assert refused.value.response.status_code == 403
        async with websockets.connect(f"ws://127.0.0.1:{live.port}/news/ws?auth={auth}") as ws:
            opened = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert opened["event"] == "open"
