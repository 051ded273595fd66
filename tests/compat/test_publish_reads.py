"""What a publish reads in one round trip, refused and answered as before: a Gotify
application with its token (``api_tokens.with_row_of``), a topic's rule with its subscribers
and their preferences (``sending.topic_send``). Both ways: the app and the gateway's direct
path (whose fast path counters count each publish)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.compat.gotify_helpers import assert_gotify_error, key, new_app, new_client
from tests.conftest import UserFactory, UserHandle
from wakedock import fast_paths
from wakedock.gateway import Gateway


def _on_gateway(client: httpx.AsyncClient) -> bool:
    transport = client._transport
    return isinstance(transport, httpx.ASGITransport) and isinstance(transport.app, Gateway)


async def _titles(client: httpx.AsyncClient, user: UserHandle) -> list[str]:
    listed = await client.get("/api/notifications", headers=user.headers)
    assert listed.status_code == 200, listed.text
    return [n["title"] for n in listed.json()["items"]]


async def _subscribe(client: httpx.AsyncClient, user: UserHandle, **body: Any) -> None:
    made = await client.post("/api/notifications/subscriptions", json=body, headers=user.headers)
    assert made.status_code == 201, made.text


async def test_only_an_application_token_publishes_and_not_once_revoked(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    ctoken = await new_client(client, user)
    created = await new_app(client, ctoken, name="Radarr", defaultPriority=7)
    before = fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH]
    sent = await client.post("/message", json={"message": "m1"}, headers=key(created["token"]))
    assert sent.status_code == 200, sent.text
    # The application as read with its token: its id, name (the default title), priority.
    assert sent.json()["appid"] == created["id"]
    assert sent.json()["title"] == "Radarr"
    assert sent.json()["priority"] == 7
    # Other tokens are no application's: a client's, an API token, a login's access token.
    api = await client.post("/api/auth/api-tokens", json={"name": "s"}, headers=user.headers)
    assert api.status_code == 201, api.text
    for other in (ctoken, api.json()["token"], user.access_token):
        refused = await client.post("/message", json={"message": "x"}, headers=key(other))
        assert_gotify_error(refused, 401)
    # Deleting the application revokes its token.
    gone = await client.delete(f"/application/{created['id']}", headers=key(ctoken))
    assert gone.status_code == 200, gone.text
    refused = await client.post("/message", json={"message": "x"}, headers=key(created["token"]))
    assert_gotify_error(refused, 401)
    # On the gateway, each of the five publishes was served there (else none was).
    served = 5 if _on_gateway(client) else 0
    assert fast_paths.USES[fast_paths.GATEWAY_GOTIFY_PUBLISH] == before + served
    assert await _titles(client, user) == ["Radarr"]  # nothing else stored


async def test_an_application_bound_to_a_topic_follows_its_rule(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    operator = await make_user("operator")
    reader = await make_user()
    await _subscribe(client, reader, topic="deploys")
    created = await new_app(client, await new_client(client, operator), topic="deploys")
    sent = await client.post("/message", json={"message": "v1"}, headers=key(created["token"]))
    assert sent.status_code == 200, sent.text
    assert await _titles(client, reader) == ["Sonarr"]
    rule = await client.put(
        "/api/notifications/topic-access/deploys",
        json={"publish_roles": ["admin"]},
        headers=admin_headers,
    )
    assert rule.status_code == 200, rule.text
    refused = await client.post("/message", json={"message": "v2"}, headers=key(created["token"]))
    assert_gotify_error(refused, 403)
    assert await _titles(client, reader) == ["Sonarr"]


async def test_a_topic_send_reads_its_rule_with_its_subscribers(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    operator = await make_user("operator")
    plain, other, muted = await make_user(), await make_user("operator"), await make_user()
    await _subscribe(client, plain, topic="builds")
    await _subscribe(client, other, topic="builds", resource_id="web")
    await _subscribe(client, muted, topic="builds", notification_types=["error"])
    prefs = await client.patch(
        "/api/notifications/preferences", json={"min_priority": "low"}, headers=plain.headers
    )
    assert prefs.status_code == 200, prefs.text

    async def send(title: str, **extra: Any) -> httpx.Response:
        body = {"title": title, "message": "m", "topic": "builds", **extra}
        return await client.post("/api/notifications", json=body, headers=operator.headers)

    first = await send("all")
    assert first.status_code == 201, first.text
    assert len(first.json()["items"]) == 1  # the plain subscriber (others: resource, type)
    assert (await send("web", resource_id="web")).status_code == 201
    assert (await send("failed", type="error")).status_code == 201
    assert await _titles(client, plain) == ["failed", "web", "all"]
    assert await _titles(client, other) == ["web"]
    assert await _titles(client, muted) == ["failed"]

    # A rule on subscribers: only the operator subscriber still receives.
    rule = await client.put(
        "/api/notifications/topic-access/builds",
        json={"subscribe_roles": ["operator"]},
        headers=admin_headers,
    )
    assert rule.status_code == 200, rule.text
    reached = await send("narrowed", resource_id="web")
    assert reached.status_code == 201, reached.text
    assert [n["user_id"] for n in reached.json()["items"]] == [other.id]
    assert (await _titles(client, plain))[0] == "failed"

    # A rule on publishers refuses before anything is stored, subscribers or not.
    for topic in ("builds", "empty-topic"):
        closed = await client.put(
            f"/api/notifications/topic-access/{topic}",
            json={"publish_roles": ["admin"]},
            headers=admin_headers,
        )
        assert closed.status_code == 200, closed.text
        body = {"title": "x", "message": "m", "topic": topic}
        refused = await client.post("/api/notifications", json=body, headers=operator.headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "topic_publish_restricted"
    assert await _titles(client, other) == ["narrowed", "web"]


async def test_ntfy_publishes_to_a_restricted_topic_are_refused(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    operator = await make_user("operator")
    reader = await make_user()
    h = reader.headers
    assert (await client.get("/alerts/json", params={"poll": "1"}, headers=h)).status_code == 200
    sent = await client.post("/alerts", content=b"one", headers=operator.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["id"].startswith("wd")  # the subscriber's copy
    closed = await client.put(
        "/api/notifications/topic-access/alerts",
        json={"publish_roles": ["admin"]},
        headers=admin_headers,
    )
    assert closed.status_code == 200, closed.text
    refused = await client.post("/alerts", content=b"two", headers=operator.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == 40301
    # Anonymous: 401 unless the topic is opened to it; then it publishes.
    anonymous = await client.post("/alerts", content=b"three")
    assert anonymous.status_code == 401, anonymous.text
    opened = await client.put(
        "/api/notifications/topic-access/alerts",
        json={"anonymous_publish": True},
        headers=admin_headers,
    )
    assert opened.status_code == 200, opened.text
    assert (await client.post("/alerts", content=b"four")).status_code == 200
    assert await _titles(client, reader) == ["alerts", "alerts"]
