"""A publish reads its credentials with what it reads anyway, in one statement, and checks them
as every other door does: a Gotify application's token with its owner as the recipient
(``preferences.with_recipient``), an ntfy API token with its topic's rule and subscribers
(``api_tokens.beside``). Both ways: the app and the gateway's direct path."""

from __future__ import annotations

from typing import Any

import httpx

from tests.compat.gotify_helpers import assert_gotify_error, key, new_app, new_client
from tests.conftest import UserFactory, UserHandle, statements_sent


def assert_ntfy_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


async def _ntfy_token(
    client: httpx.AsyncClient, user: UserHandle, *, publish: bool = True
) -> dict[str, Any]:
    made = await client.post(
        "/api/compat/ntfy/tokens",
        json={"name": "cli", "publish": publish, "subscribe": True},
        headers=user.headers,
    )
    assert made.status_code == 201, made.text
    token: dict[str, Any] = made.json()
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _messages(client: httpx.AsyncClient, user: UserHandle) -> list[str]:
    listed = await client.get("/api/notifications", headers=user.headers)
    assert listed.status_code == 200, listed.text
    return [n["message"] for n in listed.json()["items"]]


async def test_an_ntfy_token_is_read_with_the_topic_and_checked_as_ever(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    operator = await make_user("operator")
    reader = await make_user()
    poll = await client.get("/deploys/json", params={"poll": "1"}, headers=reader.headers)
    assert poll.status_code == 200, poll.text
    token = await _ntfy_token(client, operator)
    with statements_sent(app, "SELECT") as selects:
        sent = await client.post("/deploys", content=b"v1", headers=_bearer(token["token"]))
    assert sent.status_code == 200, sent.text
    assert sent.json()["topic"] == "deploys"
    assert len(selects) == 1, selects  # the token, the rule and the subscribers together
    assert await _messages(client, reader) == ["v1"]

    # A token without publish in its scopes: 403 in ntfy's shape, nothing stored.
    reading = await _ntfy_token(client, operator, publish=False)
    refused = await client.post("/deploys", content=b"no", headers=_bearer(reading["token"]))
    assert_ntfy_error(refused, 403, 40301)
    # The topic's rule read with the token: publishers restricted, then subscribers.
    rule = await client.put(
        "/api/notifications/topic-access/deploys",
        json={"publish_roles": ["admin"]},
        headers=admin_headers,
    )
    assert rule.status_code == 200, rule.text
    assert_ntfy_error(
        await client.post("/deploys", content=b"no", headers=_bearer(token["token"])), 403, 40301
    )
    rule = await client.put(
        "/api/notifications/topic-access/deploys",
        json={"publish_roles": None, "subscribe_roles": ["operator"]},
        headers=admin_headers,
    )
    assert rule.status_code == 200, rule.text
    narrowed = await client.post("/deploys", content=b"v2", headers=_bearer(token["token"]))
    assert narrowed.status_code == 200, narrowed.text
    assert await _messages(client, reader) == ["v1"]  # no longer a permitted subscriber

    # Revoked: refused at once.
    revoked = await client.delete(
        f"/api/compat/ntfy/tokens/{token['id']}", headers=operator.headers
    )
    assert revoked.status_code == 204, revoked.text
    assert_ntfy_error(
        await client.post("/deploys", content=b"no", headers=_bearer(token["token"])), 401, 40101
    )
    assert await _messages(client, reader) == ["v1"]


async def test_an_ntfy_token_of_an_owner_with_two_roles_or_disabled(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    """The owner's roles read as one value (aggregated): each of them counts; a disabled
    owner's token is refused."""
    both = await make_user(roles=["user", "operator"])
    reader = await make_user()
    poll = await client.get("/ops/json", params={"poll": "1"}, headers=reader.headers)
    assert poll.status_code == 200, poll.text
    token = await _ntfy_token(client, both)
    rule = await client.put(
        "/api/notifications/topic-access/ops",
        json={"publish_roles": ["operator"]},
        headers=admin_headers,
    )
    assert rule.status_code == 200, rule.text
    sent = await client.post("/ops", content=b"up", headers=_bearer(token["token"]))
    assert sent.status_code == 200, sent.text
    assert await _messages(client, reader) == ["up"]
    disabled = await client.patch(
        f"/api/users/{both.id}", json={"is_active": False}, headers=admin_headers
    )
    assert disabled.status_code == 200, disabled.text
    assert_ntfy_error(
        await client.post("/ops", content=b"no", headers=_bearer(token["token"])), 401, 40101
    )


async def test_an_ntfy_publish_without_the_topic_in_its_path_or_an_api_token(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """The JSON publish (topic in the body) and an access token read the topic on their own:
    the same answers."""
    operator = await make_user("operator")
    reader = await make_user()
    poll = await client.get("/news/json", params={"poll": "1"}, headers=reader.headers)
    assert poll.status_code == 200, poll.text
    token = await _ntfy_token(client, operator)
    by_json = await client.post(
        "/", json={"topic": "news", "message": "a"}, headers=_bearer(token["token"])
    )
    assert by_json.status_code == 200, by_json.text
    by_session = await client.post("/news", content=b"b", headers=operator.headers)
    assert by_session.status_code == 200, by_session.text
    assert await _messages(client, reader) == ["b", "a"]


async def test_a_gotify_publish_reads_its_owner_with_the_token(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """The owner, as the recipient, is read with the application's token: one SELECT, and the
    owner's preferences and state apply as they would to any create."""
    user = await make_user()
    created = await new_app(client, await new_client(client, user), name="Radarr")
    with statements_sent(app, "SELECT") as selects:
        sent = await client.post("/message", json={"message": "m1"}, headers=key(created["token"]))
    assert sent.status_code == 200, sent.text
    assert len(selects) == 1, selects
    # The owner's preferences, read with the token, apply: kept to one notification, each
    # publish replaces the last.
    prefs = await client.patch(
        "/api/notifications/preferences", json={"max_notifications": 1}, headers=user.headers
    )
    assert prefs.status_code == 200, prefs.text
    again = await client.post("/message", json={"message": "m2"}, headers=key(created["token"]))
    assert again.status_code == 200, again.text
    listed = await client.get("/api/notifications", headers=user.headers)
    assert [n["message"] for n in listed.json()["items"]] == ["m2"]
    # Another kind of API token is still no application's (Gotify's 401, not WakeDock's).
    api = await client.post("/api/auth/api-tokens", json={"name": "s"}, headers=user.headers)
    assert api.status_code == 201, api.text
    refused = await client.post("/message", json={"message": "x"}, headers=key(api.json()["token"]))
    body = assert_gotify_error(refused, 401)
    assert "valid access token" in body["errorDescription"]


def test_the_direct_path_reads_a_gotify_token_as_the_route_does() -> None:
    """``credentials.token_of`` on the gateway's header dict and ``credentials.read`` on a
    request: the same token for each way Gotify clients send it (first header value, last
    query value, blank once stripped still a token given)."""
    from starlette.requests import Request

    from wakedock.compat import direct
    from wakedock.compat.gotify import credentials

    cases: list[tuple[list[tuple[bytes, bytes]], bytes]] = [
        ([(b"x-gotify-key", b" abc "), (b"x-gotify-key", b"second")], b""),
        ([(b"authorization", b"Bearer  tok ")], b""),
        ([], b"token=q1&token=q2"),
        ([(b"x-gotify-key", b"   "), (b"authorization", b"Basic dTpw")], b""),
        ([(b"authorization", b"Basic dTpw")], b""),
    ]
    for headers, query in cases:
        scope = {"type": "http", "headers": headers, "query_string": query}
        expected = credentials.read(Request(scope)).token
        found = credentials.token_of(direct._headers(scope), direct._query(scope))
        assert found == expected, (headers, query)


async def test_a_disabled_subscriber_is_skipped_by_either_read(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    """The topic's read joins subscriptions and accounts in one chain of outer joins: a
    subscription of a disabled account comes back without its account and is skipped, as the
    anchor's row is; with nobody left, the publish still answers."""
    operator = await make_user("operator")
    kept, gone = await make_user(), await make_user()
    for user in (kept, gone):
        poll = await client.get("/infra/json", params={"poll": "1"}, headers=user.headers)
        assert poll.status_code == 200, poll.text
    disabled = await client.patch(
        f"/api/users/{gone.id}", json={"is_active": False}, headers=admin_headers
    )
    assert disabled.status_code == 200, disabled.text
    body = {"title": "t", "message": "native", "topic": "infra"}
    native = await client.post("/api/notifications", json=body, headers=operator.headers)
    assert native.status_code == 201, native.text
    assert [n["user_id"] for n in native.json()["items"]] == [kept.id]
    token = await _ntfy_token(client, operator)
    sent = await client.post("/infra", content=b"ntfy", headers=_bearer(token["token"]))
    assert sent.status_code == 200, sent.text
    assert sent.json()["id"].startswith("wd")  # the one subscriber's copy
    assert await _messages(client, kept) == ["ntfy", "native"]
    alone = await client.patch(
        f"/api/users/{kept.id}", json={"is_active": False}, headers=admin_headers
    )
    assert alone.status_code == 200, alone.text
    nobody = await client.post("/infra", content=b"none", headers=_bearer(token["token"]))
    assert nobody.status_code == 200, nobody.text
    assert not nobody.json()["id"].startswith("wd")  # nothing stored: ntfy's shape all the same
