"""The issue's acceptance, black-box: template → layout, one PUT, real data, share, revoke, 404."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory, assert_error


async def test_dashboards_acceptance(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    alice = await make_user()
    bob = await make_user()
    await client.post(
        "/api/notifications",
        json={"title": "Backup done", "type": "success"},
        headers=alice.headers,
    )

    # Create a layout from a template.
    templates = (await client.get("/api/dashboards/templates", headers=alice.headers)).json()
    ops = next(t for t in templates["items"] if t["name"] == "Operations overview")
    created = await client.post(
        f"/api/dashboards/templates/{ops['id']}/apply", json={"name": "Ops"}, headers=alice.headers
    )
    assert created.status_code == 201
    layout = created.json()
    lid = layout["id"]
    widgets = {w["type"]: w for w in layout["widgets"]}

    # Move widgets with one PUT and read them back.
    moved = [
        {"id": w["id"], "x": w["position"]["x"], "y": w["position"]["y"] + 10,
         "w": w["position"]["w"], "h": w["position"]["h"]}
        for w in layout["widgets"]
    ]  # fmt: skip
    put = await client.put(
        f"/api/dashboards/{lid}/layout", json={"widgets": moved}, headers=alice.headers
    )
    assert put.status_code == 200
    again = (await client.get(f"/api/dashboards/{lid}", headers=alice.headers)).json()
    # Ten rows down leaves a hole above everything: they float back up, as in the editor.
    assert sorted((w["id"], w["position"]["y"]) for w in again["widgets"]) == sorted(
        (m["id"], m["y"] - 10) for m in moved
    )

    # Real data for a notification_stats and a system_metrics widget.
    stats = (
        await client.get(
            f"/api/dashboards/widgets/{widgets['notification_stats']['id']}/data",
            headers=alice.headers,
        )
    ).json()
    assert stats["status"] == "ok"
    assert stats["data"]["total"] == 1
    assert stats["data"]["series"]["normal"][-1] == 1  # by priority, today
    host = (
        await client.get(
            f"/api/dashboards/widgets/{widgets['system_metrics']['id']}/data",
            headers=alice.headers,
        )
    ).json()
    assert host["status"] == "ok"
    assert 0 <= host["data"]["cpu"]["percent"] <= 100
    assert host["data"]["memory"]["total"] > 0

    # Share, open the link without login, revoke it.
    share = (await client.post(f"/api/dashboards/{lid}/share", headers=alice.headers)).json()
    public = await client.get(f"/api/dashboards/shared/{share['token']}")
    assert public.status_code == 200
    shown = {w["type"] for w in public.json()["widgets"]}
    assert "system_metrics" in shown
    assert not shown & {"notification_stats", "notification_feed", "unread_counter"}
    assert "Backup done" not in public.text
    assert (
        await client.delete(f"/api/dashboards/{lid}/share", headers=alice.headers)
    ).status_code == 204
    assert_error(await client.get(f"/api/dashboards/shared/{share['token']}"), 404)

    # Another user's layout is a 404.
    assert_error(await client.get(f"/api/dashboards/{lid}", headers=bob.headers), 404)
