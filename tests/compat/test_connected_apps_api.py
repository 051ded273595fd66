"""/api/compat, the Connected apps page's API: Gotify applications and clients and ntfy access
tokens with the UI's session, WakeDock's error shape, every write audited, one user never
seeing or touching another's."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from tests.compat.gotify_helpers import key, new_client
from tests.conftest import UserFactory, assert_error, bearer
from wakedock.audit.models import AuditEvent
from wakedock.auth.models import ApiToken


async def _apps(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/compat/apps", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _actions(app: Any) -> list[str]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(AuditEvent.action))).all())


async def test_gotify_application_made_in_the_ui_publishes_and_is_deleted(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    alice = await make_user()
    made = await client.post(
        "/api/compat/gotify/applications",
        json={"name": "Sonarr", "description": "TV", "default_priority": 8},
        headers=alice.headers,
    )
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["token"].startswith(created["token_prefix"])
    assert created["default_priority"] == 8
    assert created["topic"] is None

    # The token is the Gotify application's: it publishes with Gotify's own route.
    sent = await client.post("/message", json={"message": "grabbed"}, headers=key(created["token"]))
    assert sent.status_code == 200, sent.text
    assert sent.json()["priority"] == 8
    # And it is listed (never the token) with the Gotify API's own listing agreeing.
    listed = await _apps(client, alice.headers)
    assert [a["name"] for a in listed["gotify_applications"]] == ["Sonarr"]
    assert "token" not in listed["gotify_applications"][0]
    assert "gotify.application.create" in await _actions(app)

    deleted = await client.delete(
        f"/api/compat/gotify/applications/{created['id']}", headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert (await _apps(client, alice.headers))["gotify_applications"] == []
    again = await client.post("/message", json={"message": "x"}, headers=key(created["token"]))
    assert again.status_code == 401
    assert "gotify.application.delete" in await _actions(app)


async def test_gotify_application_bad_input_changes_nothing(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    alice = await make_user()  # a plain user: no notifications:send
    for body in (
        {"name": ""},
        {"name": "x", "default_priority": 11},
        {"name": "x", "default_priority": "5"},
        {"name": "x", "topic": "bad topic"},
        {"name": "x", "extra": 1},
    ):
        response = await client.post(
            "/api/compat/gotify/applications", json=body, headers=alice.headers
        )
        assert_error(response, 422)
    bound = await client.post(
        "/api/compat/gotify/applications",
        json={"name": "Media", "topic": "media"},
        headers=alice.headers,
    )
    assert_error(bound, 403, "missing_permission")
    assert (await _apps(client, alice.headers))["gotify_applications"] == []
    async with app.state.sessionmaker() as session:
        assert (
            await session.scalars(select(ApiToken).where(ApiToken.user_id == alice.id))
        ).all() == []


async def test_topic_bound_application_for_an_operator(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    oscar = await make_user("operator")
    made = await client.post(
        "/api/compat/gotify/applications",
        json={"name": "Media", "topic": "media"},
        headers=oscar.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["topic"] == "media"


async def test_ntfy_token_publishes_subscribes_and_is_revoked(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    oscar = await make_user("operator")
    made = await client.post(
        "/api/compat/ntfy/tokens", json={"name": "phone"}, headers=oscar.headers
    )
    assert made.status_code == 201, made.text
    token = made.json()
    assert token["name"] == "phone"
    assert sorted(token["scopes"]) == ["notifications:read", "notifications:send"]
    headers = bearer(token["token"])
    assert (await client.get("/backups/json?poll=1", headers=headers)).status_code == 200
    published = await client.post("/backups", content="done", headers=headers)
    assert published.status_code == 200, published.text

    listed = await _apps(client, oscar.headers)
    assert [t["name"] for t in listed["ntfy_tokens"]] == ["phone"]
    assert "token" not in listed["ntfy_tokens"][0]

    revoked = await client.delete(f"/api/compat/ntfy/tokens/{token['id']}", headers=oscar.headers)
    assert revoked.status_code == 204, revoked.text
    assert (await client.post("/backups", content="x", headers=headers)).status_code == 401
    assert (await _apps(client, oscar.headers))["ntfy_tokens"] == []
    actions = await _actions(app)
    assert "api_token.create" in actions
    assert "api_token.delete" in actions


async def test_ntfy_token_scopes_follow_the_choice_and_the_roles(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()  # no notifications:send
    reader = await client.post(
        "/api/compat/ntfy/tokens",
        json={"name": "reader", "publish": False, "subscribe": True},
        headers=alice.headers,
    )
    assert reader.status_code == 201, reader.text
    assert reader.json()["scopes"] == ["notifications:read"]
    refused = await client.post(
        "/api/compat/ntfy/tokens", json={"name": "pub", "publish": True}, headers=alice.headers
    )
    assert_error(refused, 422)
    neither = await client.post(
        "/api/compat/ntfy/tokens",
        json={"name": "none", "publish": False, "subscribe": False},
        headers=alice.headers,
    )
    assert_error(neither, 422)
    assert [t["name"] for t in (await _apps(client, alice.headers))["ntfy_tokens"]] == ["reader"]


async def test_users_never_see_or_touch_each_others_apps(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice, bob = await make_user("operator"), await make_user("operator")
    app_made = await client.post(
        "/api/compat/gotify/applications", json={"name": "Mine"}, headers=alice.headers
    )
    ntfy_made = await client.post(
        "/api/compat/ntfy/tokens", json={"name": "mine"}, headers=alice.headers
    )
    ctoken = await new_client(client, alice)
    clients = (await _apps(client, alice.headers))["gotify_clients"]
    assert [c["name"] for c in clients] == ["phone"]
    client_id = clients[0]["id"]

    assert await _apps(client, bob.headers) == {
        "gotify_applications": [],
        "gotify_clients": [],
        "ntfy_tokens": [],
    }
    for path in (
        f"/api/compat/gotify/applications/{app_made.json()['id']}",
        f"/api/compat/gotify/clients/{client_id}",
        f"/api/compat/ntfy/tokens/{ntfy_made.json()['id']}",
    ):
        assert_error(await client.delete(path, headers=bob.headers), 404)
    # An ordinary API token (or the Gotify application's) is not an ntfy token here.
    plain = await client.post(
        "/api/auth/api-tokens", json={"name": "script"}, headers=alice.headers
    )
    assert_error(
        await client.delete(f"/api/compat/ntfy/tokens/{plain.json()['id']}", headers=alice.headers),
        404,
    )
    mine = await _apps(client, alice.headers)
    assert len(mine["gotify_applications"]) == len(mine["ntfy_tokens"]) == 1
    # Alice's own client deletion closes that client's token.
    gone = await client.delete(f"/api/compat/gotify/clients/{client_id}", headers=alice.headers)
    assert gone.status_code == 204
    assert (await client.get("/message", headers=key(ctoken))).status_code == 401


async def test_needs_a_session_or_account_manage(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    assert_error(await client.get("/api/compat/apps"), 401)
    plain = await client.post(
        "/api/auth/api-tokens", json={"name": "script"}, headers=alice.headers
    )
    scriptable = bearer(plain.json()["token"])
    assert_error(
        await client.get("/api/compat/apps", headers=scriptable), 403, "missing_permission"
    )
    assert_error(
        await client.post("/api/compat/ntfy/tokens", json={"name": "x"}, headers=scriptable),
        403,
    )


async def test_gotify_client_made_in_the_ui_receives(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    alice = await make_user()
    made = await client.post(
        "/api/compat/gotify/clients", json={"name": "Pixel"}, headers=alice.headers
    )
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["name"] == "Pixel"
    assert created["token"].startswith(created["token_prefix"])
    # The token is a Gotify client's: it reads the user's messages with Gotify's own routes.
    assert (await client.get("/message", headers=key(created["token"]))).status_code == 200
    assert (await client.get("/current/user", headers=key(created["token"]))).status_code == 200
    listed = (await _apps(client, alice.headers))["gotify_clients"]
    assert [(c["id"], c["name"]) for c in listed] == [(created["id"], "Pixel")]
    assert "token" not in listed[0]
    assert "gotify.client.create" in await _actions(app)
    for body in ({"name": ""}, {"name": "x" * 101}, {"name": "x", "extra": 1}, {}):
        assert_error(
            await client.post("/api/compat/gotify/clients", json=body, headers=alice.headers), 422
        )
    assert len((await _apps(client, alice.headers))["gotify_clients"]) == 1


async def test_gotify_application_renamed_in_the_ui(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    alice, bob = await make_user("operator"), await make_user("operator")
    made = await client.post(
        "/api/compat/gotify/applications",
        json={"name": "Sonarr", "topic": "media"},
        headers=alice.headers,
    )
    assert made.status_code == 201, made.text
    app_id = made.json()["id"]
    path = f"/api/compat/gotify/applications/{app_id}"
    edit = {"name": "Radarr", "description": "films", "default_priority": 2}
    changed = await client.put(path, json=edit, headers=alice.headers)
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert (out["name"], out["description"], out["default_priority"]) == ("Radarr", "films", 2)
    assert out["topic"] == "media"  # the binding stays
    assert out["token_prefix"] == made.json()["token_prefix"]
    assert "gotify.application.update" in await _actions(app)
    # The token keeps publishing, now with the new default priority.
    sent = await client.post(
        "/message", json={"message": "grabbed"}, headers=key(made.json()["token"])
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["priority"] == 2

    # Bad input and another user's application change nothing.
    for body in ({"name": ""}, {"name": "x", "default_priority": 11}, {"name": "x", "topic": "a"}):
        assert_error(await client.put(path, json=body, headers=alice.headers), 422)
    assert_error(await client.put(path, json={"name": "Bob's"}, headers=bob.headers), 404)
    assert_error(
        await client.put(
            "/api/compat/gotify/applications/999999", json={"name": "x"}, headers=alice.headers
        ),
        404,
    )
    mine = (await _apps(client, alice.headers))["gotify_applications"]
    assert [(a["name"], a["description"]) for a in mine] == [("Radarr", "films")]
    assert (await _apps(client, bob.headers))["gotify_applications"] == []


async def test_clients_are_per_user(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    alice, bob = await make_user(), await make_user()
    made = await client.post(
        "/api/compat/gotify/clients", json={"name": "Pixel"}, headers=alice.headers
    )
    assert made.status_code == 201, made.text
    assert (await _apps(client, bob.headers))["gotify_clients"] == []
    assert_error(
        await client.delete(f"/api/compat/gotify/clients/{made.json()['id']}", headers=bob.headers),
        404,
    )
    # Bob's token never reads Alice's messages: it is his own client.
    bobs = await client.post("/api/compat/gotify/clients", json={"name": "b"}, headers=bob.headers)
    assert (await client.get("/current/user", headers=key(bobs.json()["token"]))).json()[
        "name"
    ] != (await client.get("/current/user", headers=key(made.json()["token"]))).json()["name"]
    assert len((await _apps(client, alice.headers))["gotify_clients"]) == 1
