"""The Gotify-compatible API in process, on SQLite and PostgreSQL: Gotify's shapes (its
published spec), its three ways of giving a token, JSON and form bodies, per-user isolation,
and an attacker's requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.compat.gotify_helpers import assert_gotify_error, basic, key, new_app, new_client
from tests.conftest import UserFactory, assert_error, bearer
from wakedock.audit.models import AuditEvent
from wakedock.auth.models import ApiToken
from wakedock.compat.gotify import priorities

MESSAGE_KEYS = {"id", "appid", "message", "title", "priority", "date"}
APP_KEYS = {
    "id",
    "token",
    "name",
    "description",
    "internal",
    "image",
    "defaultPriority",
    "lastUsed",
    "topic",
}


async def test_application_client_and_message_lifecycle(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    alice = await make_user()
    ctoken = await new_client(client, alice)
    assert ctoken.startswith("wdk_")
    created = await new_app(client, ctoken, "Sonarr", description="TV", defaultPriority=5)
    assert set(created) == APP_KEYS
    assert created["token"].startswith("wdk_")
    assert created["defaultPriority"] == 5
    assert created["internal"] is False
    atoken = created["token"]

    # The token is shown once: listings carry none, only its hash is stored.
    listed = (await client.get("/application", headers=key(ctoken))).json()
    assert [a["name"] for a in listed] == ["Sonarr"]
    assert listed[0]["token"] == ""
    async with app.state.sessionmaker() as session:
        hashes = (await session.scalars(select(ApiToken.token_hash))).all()
        assert atoken not in hashes
        assert ctoken not in hashes
        # Both are the account's API tokens (listed with them, revocable there).
        names = (await session.scalars(select(ApiToken.name))).all()
    assert any(n.startswith("Gotify application: Sonarr") for n in names)

    # Publish: JSON with the default priority, then a form with its own.
    sent = await client.post(
        "/message", json={"message": "Episode grabbed", "title": "Sonarr"}, headers=key(atoken)
    )
    assert sent.status_code == 200, sent.text
    first = sent.json()
    assert set(first) == MESSAGE_KEYS
    assert first["appid"] == created["id"]
    assert first["priority"] == 5
    form = await client.post(
        f"/message?token={atoken}", data={"message": "form body", "priority": "9"}
    )
    assert form.status_code == 200, form.text
    assert form.json()["title"] == "Sonarr"  # no title: the application's name
    assert form.json()["priority"] == 9

    # They are ordinary WakeDock notifications of Alice.
    mine = (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    by_id = {n["id"]: n for n in mine}
    assert by_id[first["id"]]["priority"] == "normal"
    assert by_id[form.json()["id"]]["priority"] == "high"
    assert by_id[first["id"]]["source"] == "Sonarr"

    # Read them back, Gotify's paging.
    page = (await client.get("/message?limit=1", headers=key(ctoken))).json()
    assert page["paging"]["size"] == 1
    assert page["paging"]["limit"] == 1
    assert page["messages"][0]["id"] == form.json()["id"]
    assert page["messages"][0]["priority"] == 9  # the Gotify number, kept
    assert page["paging"]["since"] == form.json()["id"]
    assert page["paging"]["next"].endswith(f"/message?limit=1&since={form.json()['id']}")
    rest = (await client.get(page["paging"]["next"], headers=key(ctoken))).json()
    assert [m["id"] for m in rest["messages"]] == [first["id"]]
    assert rest["paging"] == {"size": 1, "since": 0, "limit": 1}  # the last page: no next

    # Delete one, then all.
    assert (await client.delete(f"/message/{first['id']}", headers=key(ctoken))).status_code == 200
    assert_gotify_error(await client.delete(f"/message/{first['id']}", headers=key(ctoken)), 404)
    await client.post("/message", json={"message": "x"}, headers=key(atoken))
    assert (await client.delete("/message", headers=key(ctoken))).status_code == 200
    assert (await client.get("/message", headers=key(ctoken))).json()["messages"] == []

    # Update, delete the application: its token stops working.
    updated = await client.put(
        f"/application/{created['id']}",
        json={"name": "Radarr", "description": "films", "defaultPriority": 2},
        headers=key(ctoken),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Radarr"
    assert updated.json()["defaultPriority"] == 2
    assert (
        await client.delete(f"/application/{created['id']}", headers=key(ctoken))
    ).status_code == 200
    assert_gotify_error(
        await client.post("/message", json={"message": "x"}, headers=key(atoken)), 401
    )
    assert (await client.get("/application", headers=key(ctoken))).json() == []

    # Clients: listed without tokens; deleting one revokes its token.
    clients = (await client.get("/client", headers=key(ctoken))).json()
    assert [set(c) for c in clients] == [{"id", "token", "name", "lastUsed"}]
    assert clients[0]["token"] == ""
    assert (
        await client.delete(f"/client/{clients[0]['id']}", headers=key(ctoken))
    ).status_code == 200
    assert_gotify_error(await client.get("/message", headers=key(ctoken)), 401)

    async with app.state.sessionmaker() as session:
        actions = set((await session.scalars(select(AuditEvent.action))).all())
    assert {
        "gotify.client.create",
        "gotify.application.create",
        "gotify.application.update",
        "gotify.application.delete",
        "gotify.client.delete",
        "notification.create",
        "notification.delete",
        "notification.delete_all",
    } <= actions


async def test_token_in_each_of_the_three_places(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ctoken = await new_client(client, user)
    atoken = (await new_app(client, ctoken))["token"]
    for headers, query in (
        (key(atoken), ""),
        ({}, f"?token={atoken}"),
        (bearer(atoken), ""),
    ):
        response = await client.post(f"/message{query}", json={"message": "hi"}, headers=headers)
        assert response.status_code == 200, response.text
    for headers, query in ((key(ctoken), ""), ({}, f"?token={ctoken}"), (bearer(ctoken), "")):
        assert (await client.get(f"/message{query}", headers=headers)).json()["paging"]["size"] == 3
    # Basic auth reads too; /current/user says who.
    me = await client.get("/current/user", headers=basic(user.username, user.password))
    assert me.json() == {"id": user.id, "name": user.username, "admin": False}


async def test_wrong_tokens_are_401_in_gotify_shape(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ctoken = await new_client(client, user)
    atoken = (await new_app(client, ctoken))["token"]
    for headers in ({}, key("nope"), key("wdk_nope"), bearer("x"), basic(user.username, "bad")):
        assert_gotify_error(
            await client.post("/message", json={"message": "x"}, headers=headers), 401
        )
        assert_gotify_error(await client.get("/message", headers=headers), 401)
    # A client's token does not publish; an application's does not read or manage.
    assert_gotify_error(
        await client.post("/message", json={"message": "x"}, headers=key(ctoken)), 401
    )
    assert_gotify_error(await client.get("/message", headers=key(atoken)), 401)
    assert_gotify_error(await client.get("/application", headers=key(atoken)), 401)
    assert_gotify_error(await client.post("/client", json={"name": "x"}, headers=key(atoken)), 401)
    # A user's login session (the web UI's token) publishes nothing either: no application.
    assert_gotify_error(
        await client.post("/message", json={"message": "x"}, headers=user.headers), 401
    )
    # The rest of the API keeps WakeDock's own error shape.
    assert_error(await client.get("/api/notifications", headers=key(atoken)), 401)


async def test_another_users_ids_are_404(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    alice, bob = await make_user(), await make_user()
    a_client, b_client = await new_client(client, alice), await new_client(client, bob)
    a_app = await new_app(client, a_client)
    msg = (
        await client.post("/message", json={"message": "secret"}, headers=key(a_app["token"]))
    ).json()
    a_client_id = (await client.get("/client", headers=key(a_client))).json()[0]["id"]
    renamed = await client.put(
        f"/client/{a_client_id}", json={"name": "tablet"}, headers=key(a_client)
    )
    assert renamed.status_code == 200
    assert set(renamed.json()) == {"id", "token", "name", "lastUsed"}
    assert (renamed.json()["id"], renamed.json()["name"], renamed.json()["token"]) == (
        a_client_id,
        "tablet",
        "",
    )
    for response in (
        await client.put(f"/client/{a_client_id}", json={"name": "x"}, headers=key(b_client)),
        await client.put(f"/application/{a_app['id']}", json={"name": "x"}, headers=key(b_client)),
        await client.delete(f"/application/{a_app['id']}", headers=key(b_client)),
        await client.delete(f"/message/{msg['id']}", headers=key(b_client)),
        await client.delete(f"/client/{a_client_id}", headers=key(b_client)),
    ):
        assert_gotify_error(response, 404)
    assert (await client.get("/message", headers=key(b_client))).json()["messages"] == []
    assert (await client.get("/application", headers=key(b_client))).json() == []
    # Bob deleting all his messages leaves Alice's.
    await client.delete("/message", headers=key(b_client))
    assert len((await client.get("/message", headers=key(a_client))).json()["messages"]) == 1


async def test_bad_bodies_are_400_and_store_nothing(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ctoken = await new_client(client, user)
    atoken = (await new_app(client, ctoken))["token"]
    deep: Any = "x"
    for _ in range(300):
        deep = {"a": deep}
    bad_messages: list[dict[str, Any]] = [
        {},
        {"message": ""},
        {"message": "x", "priority": 11},
        {"message": "x", "priority": -1},
        {"message": "x", "priority": 2**70},
        {"message": "x", "priority": "5"},
        {"message": "x", "priority": True},
        {"message": "x", "priority": 5.5},
        {"message": "x" * 10_001},
        {"message": "x", "title": "t" * 256},
        {"message": "x", "extras": deep},
        {"message": "x", "extras": "not an object"},
        {"message": "x", "extras": {"client::notification": {"click": {"url": "javascript:1"}}}},
    ]
    for body in bad_messages:
        assert_gotify_error(await client.post("/message", json=body, headers=key(atoken)), 400)
    for raw in (b"[1,2]", b"{not json", b'"text"'):
        response = await client.post(
            "/message",
            content=raw,
            headers={**key(atoken), "Content-Type": "application/json"},
        )
        assert_gotify_error(response, 400)
    assert_gotify_error(
        await client.post(
            "/message", data={"message": "x", "priority": "high"}, headers=key(atoken)
        ),
        400,
    )
    # NUL anywhere and huge bodies are refused before any route (the request guard), in
    # Gotify's shape on Gotify's paths; WakeDock's own paths keep theirs.
    for body in ({"message": "a\x00b"}, {"message": "x", "extras": {"k\x00": 1}}):
        assert_gotify_error(await client.post("/message", json=body, headers=key(atoken)), 400)
    assert_gotify_error(
        await client.post("/message", data={"message": "a\x00b"}, headers=key(atoken)), 400
    )
    assert_gotify_error(await client.get("/message?since=1%00", headers=key(ctoken)), 400)
    huge = {"message": "x" * 2_000_000}
    assert_gotify_error(await client.post("/message", json=huge, headers=key(atoken)), 413)
    assert_error(await client.post("/api/notifications", json=huge, headers=user.headers), 413)
    for body in (
        {},
        {"name": ""},
        {"name": "n" * 101},
        {"name": "x", "defaultPriority": 99},
        {"name": "x", "topic": "bad topic!"},
    ):
        assert_gotify_error(await client.post("/application", json=body, headers=key(ctoken)), 400)
    assert_gotify_error(await client.delete("/application/abc", headers=key(ctoken)), 400)
    assert_gotify_error(await client.delete(f"/message/{2**64}", headers=key(ctoken)), 400)
    assert_gotify_error(await client.get("/message?limit=201", headers=key(ctoken)), 400)
    assert_gotify_error(await client.get("/message?since=-1", headers=key(ctoken)), 400)
    assert (await client.get("/message", headers=key(ctoken))).json()["messages"] == []
    assert len((await client.get("/application", headers=key(ctoken))).json()) == 1


async def test_extras_markdown_and_click_url(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ctoken = await new_client(client, user)
    atoken = (await new_app(client, ctoken))["token"]
    extras = {
        "client::display": {"contentType": "text/markdown"},
        "client::notification": {"click": {"url": "https://media.example/show/1"}},
    }
    sent = await client.post(
        "/message",
        json={"message": "**bold**", "title": "T", "priority": 10, "extras": extras},
        headers=key(atoken),
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["extras"] == extras
    mine = (await client.get("/api/notifications", headers=user.headers)).json()["items"][0]
    assert mine["action_url"] == "https://media.example/show/1"
    assert mine["priority"] == "urgent"
    listed = (await client.get("/message", headers=key(ctoken))).json()["messages"][0]
    assert listed["extras"] == extras
    assert listed["priority"] == 10
    # A notification made through WakeDock's own API shows as appid 0, its priority mapped.
    await client.post(
        "/api/notifications", json={"title": "native", "priority": "high"}, headers=user.headers
    )
    native = (await client.get("/message", headers=key(ctoken))).json()["messages"][0]
    assert native["appid"] == 0
    assert native["priority"] == 8
    assert native["title"] == "native"


async def test_topic_application_feeds_every_subscriber(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    owner = await make_user(role="operator")
    subscribers = [await make_user(), await make_user()]
    outsider = await make_user()
    for sub in subscribers:
        response = await client.post(
            "/api/notifications/subscriptions", json={"topic": "media"}, headers=sub.headers
        )
        assert response.status_code == 201, response.text
    ctoken = await new_client(client, owner)
    app_body = await new_app(client, ctoken, "Sonarr", topic="media")
    assert app_body["topic"] == "media"
    sent = await client.post(
        "/message", json={"message": "new episode"}, headers=key(app_body["token"])
    )
    assert sent.status_code == 200, sent.text
    for sub in subscribers:
        items = (await client.get("/api/notifications", headers=sub.headers)).json()["items"]
        assert [n["message"] for n in items] == ["new episode"]
        assert items[0]["topic"] == "media"
    assert (await client.get("/api/notifications", headers=outsider.headers)).json()["items"] == []
    # A plain user may not bind an application to a topic (no notifications:send): 403.
    plain = await new_client(client, outsider)
    assert_gotify_error(
        await client.post("/application", json={"name": "x", "topic": "media"}, headers=key(plain)),
        403,
    )


async def test_version_health_and_routes_beside_the_ui(client: httpx.AsyncClient) -> None:
    version = (await client.get("/version")).json()
    assert set(version) == {"version", "commit", "buildDate"}
    assert (await client.get("/health")).json() == {"health": "green", "database": "green"}
    image = await client.get("/static/defaultapp.png")
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    # WakeDock's own paths are untouched.
    assert (await client.get("/api/health")).status_code == 200


def test_priority_table_both_ways() -> None:
    assert [priorities.to_wakedock(p).value for p in range(11)] == (
        ["low"] * 4 + ["normal"] * 4 + ["high"] * 2 + ["urgent"]
    )
    for level in ("low", "normal", "high", "urgent"):
        assert priorities.to_wakedock(priorities.to_gotify(level)).value == level
    with pytest.raises(ValueError, match="between 0 and 10"):
        priorities.to_wakedock(11)


async def test_unsupported_gotify_paths_are_gotify_404s(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ctoken = await new_client(client, user)
    app_id = (await new_app(client, ctoken))["id"]
    for method, path in (
        ("POST", f"/application/{app_id}/image"),
        ("POST", "/current/user/password"),
        ("GET", "/user"),
        ("GET", "/plugin"),
    ):
        response = await client.request(method, path, headers=key(ctoken))
        assert_gotify_error(response, 404)
    # The supported ones still answer (registered before the catch-alls).
    assert (await client.get("/application", headers=key(ctoken))).status_code == 200


async def test_an_applications_messages(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    alice, bob = await make_user(), await make_user()
    ctoken, b_client = await new_client(client, alice), await new_client(client, bob)
    sonarr, radarr = (
        await new_app(client, ctoken, "Sonarr"),
        await new_app(client, ctoken, "Radarr"),
    )
    ids = {}
    for app_body in (sonarr, radarr, sonarr):
        sent = await client.post(
            "/message", json={"message": app_body["name"]}, headers=key(app_body["token"])
        )
        ids.setdefault(app_body["name"], []).append(sent.json()["id"])
    await client.post("/api/notifications", json={"title": "native"}, headers=alice.headers)
    listed = (await client.get(f"/application/{sonarr['id']}/message", headers=key(ctoken))).json()
    assert [m["id"] for m in listed["messages"]] == ids["Sonarr"][::-1]
    assert {m["appid"] for m in listed["messages"]} == {sonarr["id"]}
    paged = await client.get(f"/application/{sonarr['id']}/message?limit=1", headers=key(ctoken))
    assert paged.json()["paging"]["next"].endswith(
        f"/application/{sonarr['id']}/message?limit=1&since={ids['Sonarr'][1]}"
    )
    # Another user's application is a 404, for reading and deleting.
    assert_gotify_error(
        await client.get(f"/application/{sonarr['id']}/message", headers=key(b_client)), 404
    )
    assert_gotify_error(
        await client.delete(f"/application/{sonarr['id']}/message", headers=key(b_client)), 404
    )
    deleted = await client.delete(f"/application/{sonarr['id']}/message", headers=key(ctoken))
    assert deleted.status_code == 200
    left = (await client.get("/message", headers=key(ctoken))).json()["messages"]
    assert [m["title"] for m in left] == ["native", "Radarr"]


async def test_basic_auth_failures_count_toward_the_login_throttle(
    client: httpx.AsyncClient, make_user: UserFactory, settings: Any
) -> None:
    user = await make_user()
    for _ in range(settings.login_max_failures_per_user):
        assert_gotify_error(await client.get("/message", headers=basic(user.username, "bad")), 401)
    # Blocked now, even with the right password, and the web login is blocked alike.
    limited = assert_gotify_error(
        await client.get("/message", headers=basic(user.username, user.password)), 429
    )
    assert "Too many" in limited["errorDescription"]
    login = await client.post(
        "/api/auth/login", json={"username": user.username, "password": user.password}
    )
    assert_error(login, 429)
