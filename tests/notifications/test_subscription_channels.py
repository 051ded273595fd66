"""Which channels a topic subscription may name, and whose copy they reach
(notifications/subscriptions/channels.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import UserFactory, assert_error
from tests.notifications.conftest import HttpReceiver
from tests.notifications.test_delivery_channels import add_channel

SUBSCRIPTIONS = "/api/notifications/subscriptions"


async def _topic_send(
    client: httpx.AsyncClient, headers: dict[str, str], title: str
) -> dict[int, int]:
    """Send to the topic "deploy"; returns each recipient's notification id."""
    sent = await client.post(
        "/api/notifications", json={"title": title, "topic": "deploy"}, headers=headers
    )
    assert sent.status_code == 201, sent.text
    return {n["user_id"]: n["id"] for n in sent.json()["items"]}


def _hooked(receiver: HttpReceiver) -> list[int]:
    """The notification ids the webhook received, in order."""
    return [json.loads(r.body)["notifications"][0]["id"] for r in receiver.requests]


async def test_a_plain_users_subscription_cannot_reach_an_admin_webhook(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    http_receiver: HttpReceiver,
    app: Any,
) -> None:
    """Issue 17 (11): a plain user's subscription named the admin's webhook (201), which then
    received deliveries on behalf of a user without notifications:send."""
    hook = await add_channel(
        client,
        admin_headers,
        name="ops-hook",
        type="webhook",
        config={"url": f"{http_receiver.base}/hook"},
    )
    plain = await make_user()
    operator = await make_user(role="operator")

    refused = assert_error(
        await client.post(
            SUBSCRIPTIONS, json={"topic": "deploy", "channels": ["ops-hook"]}, headers=plain.headers
        ),
        422,
    )
    unknown = assert_error(
        await client.post(
            SUBSCRIPTIONS, json={"topic": "deploy", "channels": ["no-such"]}, headers=plain.headers
        ),
        422,
    )
    # The same answer as for a name that does not exist: no hint which admin channels exist.
    assert refused["message"].replace("ops-hook", "?") == unknown["message"].replace("no-such", "?")
    assert refused["details"][0]["loc"] == ["body", "channels"]
    assert (await client.get(SUBSCRIPTIONS, headers=plain.headers)).json() == []

    # Nor through a PATCH of an existing subscription.
    sub = await client.post(SUBSCRIPTIONS, json={"topic": "deploy"}, headers=plain.headers)
    assert sub.status_code == 201, sub.text
    assert_error(
        await client.patch(
            f"{SUBSCRIPTIONS}/{sub.json()['id']}",
            json={"channels": ["ops-hook"]},
            headers=plain.headers,
        ),
        422,
    )
    assert (await client.get(SUBSCRIPTIONS, headers=plain.headers)).json()[0]["channels"] is None

    # An operator (notifications:send) may name it, for their own copy only.
    mine = await client.post(
        SUBSCRIPTIONS, json={"topic": "deploy", "channels": ["ops-hook"]}, headers=operator.headers
    )
    assert mine.status_code == 201, mine.text
    ids = await _topic_send(client, admin_headers, "web deployed")
    assert sorted(ids) == sorted([plain.id, operator.id])
    await app.state.worker.drain()
    assert _hooked(http_receiver) == [ids[operator.id]]

    # Demoted, the operator's subscription no longer reaches the webhook.
    demoted = await client.patch(
        f"/api/users/{operator.id}", json={"roles": ["user"]}, headers=admin_headers
    )
    assert demoted.status_code == 200, demoted.text
    ids = await _topic_send(client, admin_headers, "api deployed")
    assert sorted(ids) == sorted([plain.id, operator.id])
    await app.state.worker.drain()
    assert len(http_receiver.requests) == 1

    # A channel deactivated since does not fail the sender's create either.
    deactivated = await client.patch(
        f"/api/notifications/channels/{hook['id']}",
        json={"is_active": False},
        headers=admin_headers,
    )
    assert deactivated.status_code == 200
    await _topic_send(client, admin_headers, "db deployed")


async def test_subscription_channels_reach_only_the_subscribers_copy(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    http_receiver: HttpReceiver,
    app: Any,
) -> None:
    """One subscriber's channels used to be added to every recipient's copy: the webhook got
    the notification of every subscriber of the topic."""
    await add_channel(
        client,
        admin_headers,
        name="ops-hook",
        type="webhook",
        config={"url": f"{http_receiver.base}/hook"},
    )
    operator = await make_user(role="operator")
    others = [await make_user() for _ in range(3)]
    for person in [operator, *others]:
        body: dict[str, Any] = {"topic": "deploy"}
        if person is operator:
            body["channels"] = ["ops-hook"]
        created = await client.post(SUBSCRIPTIONS, json=body, headers=person.headers)
        assert created.status_code == 201, created.text
    ids = await _topic_send(client, admin_headers, "web deployed")
    assert len(ids) == 4
    await app.state.worker.drain()
    assert _hooked(http_receiver) == [ids[operator.id]]
    # A channel the sender names gets one announcement (as a broadcast's), not one per copy;
    # the operator's own subscription channel still gets their copy.
    sent = await client.post(
        "/api/notifications",
        json={"title": "all hands", "topic": "deploy", "channels": ["ops-hook"]},
        headers=admin_headers,
    )
    assert sent.status_code == 201, sent.text
    assert len(sent.json()["items"]) == 4
    await app.state.worker.drain()
    later = [json.loads(r.body) for r in http_receiver.requests[1:]]
    announced = [b for b in later if b["event"] == "topic"]
    assert [(b["title"], b["notifications"]) for b in announced] == [("all hands", [])]
    assert len(later) == 2  # the announcement and the operator's own copy


async def test_a_topic_send_naming_a_channel_announces_once_even_with_no_subscriber(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
) -> None:
    """Issue 21: no subscriber meant no delivery at all to the named channel."""
    await add_channel(
        client,
        admin_headers,
        name="ops-hook",
        type="webhook",
        config={"url": f"{http_receiver.base}/hook"},
    )
    sent = await client.post(
        "/api/notifications",
        json={"title": "db1 restarted", "topic": "nobody-listens", "channels": ["ops-hook"]},
        headers=admin_headers,
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["items"] == []
    await app.state.worker.drain()
    bodies = [json.loads(r.body) for r in http_receiver.requests]
    assert [(b["event"], b["title"]) for b in bodies] == [("topic", "db1 restarted")]
    assert http_receiver.requests[0].headers["x-wakedock-event"] == "topic"
