"""Issue 21: a fresh install says e-mail and web push are not configured, and what is missing."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory, assert_error
from tests.notifications.test_delivery_channels import add_channel

SETUP = "/api/notifications/preferences/delivery-setup"


async def test_fresh_install_has_neither_then_each_once_set_up(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user = await make_user()
    fresh = (await client.get(SETUP, headers=user.headers)).json()
    assert fresh["email"]["configured"] is False
    assert "SMTP" in fresh["email"]["missing"]
    assert "Channels" in fresh["email"]["how"]
    assert fresh["push"]["configured"] is False
    assert "wakedock vapid generate" in fresh["push"]["how"]

    channel = await add_channel(
        client,
        admin_headers,
        name="mail",
        type="email",
        config={"host": "mail.lan", "from_address": "wakedock@nas.local"},
    )
    # The VAPID key is made on first use: then push is configured.
    assert (
        await client.get("/api/notifications/push/vapid-public-key", headers=user.headers)
    ).status_code == 200
    ready = (await client.get(SETUP, headers=user.headers)).json()
    assert ready == {
        "email": {"configured": True, "missing": None, "how": None},
        "push": {"configured": True, "missing": None, "how": None},
    }
    # A switched-off channel is not a configured one.
    off = await client.patch(
        f"/api/notifications/channels/{channel['id']}",
        json={"is_active": False},
        headers=admin_headers,
    )
    assert off.status_code == 200, off.text
    assert (await client.get(SETUP, headers=user.headers)).json()["email"]["configured"] is False
    assert_error(await client.get(SETUP), 401)
