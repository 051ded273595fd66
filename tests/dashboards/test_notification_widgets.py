"""Notification widgets: real notifications of the viewer, counted by type/priority per day."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import UserFactory
from tests.dashboards.conftest import add_widget, create_layout


async def _notify(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> int:
    response = await client.post("/api/notifications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_feed_unread_and_stats_show_only_the_viewers_notifications(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    other = await make_user()
    ids = [
        await _notify(client, user.headers, title="Disk almost full", type="warning",
                      priority="high"),
        await _notify(client, user.headers, title="Deployed", type="success"),
        await _notify(client, user.headers, title="Login from new device", type="security",
                      priority="urgent"),
    ]  # fmt: skip
    await _notify(client, other.headers, title="Not yours", type="error")
    await client.post(f"/api/notifications/{ids[1]}/read", headers=user.headers)

    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    feed = await add_widget(client, user.headers, lid, "notification_feed", config={"limit": 2})
    unread_feed = await add_widget(
        client, user.headers, lid, "notification_feed", config={"unread_only": True}
    )
    counter = await add_widget(client, user.headers, lid, "unread_counter")
    by_type = await add_widget(client, user.headers, lid, "notification_stats")
    by_priority = await add_widget(
        client, user.headers, lid, "notification_stats",
        config={"group_by": "priority", "days": 3, "chart": "line"},
    )  # fmt: skip

    response = await client.get(f"/api/dashboards/{lid}/data", headers=user.headers)
    assert response.status_code == 200
    data = {w["widget_id"]: w for w in response.json()["widgets"]}
    assert all(w["status"] == "ok" for w in data.values()), data

    assert [n["title"] for n in data[feed["id"]]["data"]["items"]] == [
        "Login from new device",
        "Deployed",
    ]
    assert data[feed["id"]]["data"]["more"] is True
    assert data[feed["id"]]["data"]["unread_count"] == 2
    assert [n["id"] for n in data[unread_feed["id"]]["data"]["items"]] == [ids[2], ids[0]]

    unread = data[counter["id"]]["data"]
    assert unread["unread"] == 2
    assert unread["total"] == 3
    assert unread["by_priority"]["urgent"] == 1

    stats = data[by_type["id"]]["data"]
    assert len(stats["days"]) == 7
    assert stats["group_by"] == "type"
    assert stats["total"] == 3
    assert stats["series"]["warning"][-1] == 1
    assert stats["series"]["success"][-1] == 1
    assert stats["series"]["security"][-1] == 1
    assert sum(stats["series"]["error"]) == 0  # the other user's
    priority = data[by_priority["id"]]["data"]
    assert len(priority["days"]) == 3
    assert priority["series"]["high"] == [0, 0, 1]
    assert priority["series"]["urgent"] == [0, 0, 1]
    assert priority["chart"] == "line"

    # The other user sees their own through the same widget types (per-user cache).
    theirs = await create_layout(client, other.headers)
    their_counter = await add_widget(client, other.headers, theirs["id"], "unread_counter")
    body = (
        await client.get(
            f"/api/dashboards/widgets/{their_counter['id']}/data", headers=other.headers
        )
    ).json()
    assert body["data"]["unread"] == 1
    assert body["data"]["by_type"]["error"] == 1
