"""Web push subscriptions: an endpoint belongs to the account that registered it."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import UserFactory, assert_error
from wakedock.notifications.models import PushSubscription

PUSH = "/api/notifications/push-subscriptions"


def _body(endpoint: str, key: str) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "keys": {"p256dh": key * 20, "auth": key * 10},
        "expirationTime": None,
    }


async def test_another_users_endpoint_cannot_be_taken_over(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    """Issue 17 (12): posting another user's endpoint with your own keys moved the row to you
    (their pushes went to you, encrypted for your keys, and stopped reaching them)."""
    alice = await make_user()
    mallory = await make_user()
    endpoint = "https://push.example.com/send/alice-browser"
    assert (
        await client.post(PUSH, json=_body(endpoint, "A"), headers=alice.headers)
    ).status_code == 201

    taken = await client.post(PUSH, json=_body(endpoint, "M"), headers=mallory.headers)
    assert_error(taken, 409, "push_endpoint_taken")
    assert_error(
        await client.request("DELETE", PUSH, json={"endpoint": endpoint}, headers=mallory.headers),
        404,
    )
    assert (await client.get(PUSH, headers=mallory.headers)).json() == []
    assert [s["endpoint"] for s in (await client.get(PUSH, headers=alice.headers)).json()] == [
        endpoint
    ]
    async with app.state.sessionmaker() as session:
        row = (await session.scalars(select(PushSubscription))).one()
    assert (row.user_id, row.p256dh, row.auth) == (alice.id, "A" * 20, "A" * 10)

    # The owner's browser re-subscribing updates its keys; another browser (a new endpoint,
    # what the web UI gets by unsubscribing after this 409) registers for the second account.
    again = await client.post(PUSH, json=_body(endpoint, "B"), headers=alice.headers)
    assert again.status_code == 201, again.text
    fresh = await client.post(PUSH, json=_body(endpoint + "-2", "M"), headers=mallory.headers)
    assert fresh.status_code == 201, fresh.text
    async with app.state.sessionmaker() as session:
        rows = {
            r.endpoint: (r.user_id, r.p256dh)
            for r in await session.scalars(select(PushSubscription))
        }
    assert rows == {endpoint: (alice.id, "B" * 20), endpoint + "-2": (mallory.id, "M" * 20)}
