"""Share links: read-only, no login, no personal widgets, revocable."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event, text

from tests.conftest import UserFactory, assert_error
from tests.dashboards.conftest import add_widget, create_layout


async def test_share_open_without_login_and_revoke(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    await client.post(
        "/api/notifications", json={"title": "Private thing", "message": "secret"},
        headers=user.headers,
    )  # fmt: skip
    layout = await create_layout(client, user.headers, "Status page", description="Public")
    lid = layout["id"]
    # A personal widget across the top: the shared ones sit below it on the owner's page.
    await add_widget(client, user.headers, lid, "notification_feed",
                     position={"x": 0, "y": 0, "w": 12, "h": 4})  # fmt: skip
    host = await add_widget(
        client, user.headers, lid, "system_metrics", config={"metrics": ["cpu"]}
    )
    assert host["position"]["y"] >= 4
    note = await add_widget(client, user.headers, lid, "text", config={"markdown": "**All good**"})
    for personal in ("notification_feed", "unread_counter", "notification_stats", "quick_actions"):
        await add_widget(client, user.headers, lid, personal)

    response = await client.post(f"/api/dashboards/{lid}/share", headers=user.headers)
    assert response.status_code == 201, response.text
    share = response.json()
    token = share["token"]
    assert share["url"] == f"http://wakedock.test/shared/{token}"  # the page the UI shows
    assert (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()["shared"]

    opened = await client.get(f"/api/dashboards/shared/{token}")  # no Authorization header
    assert opened.status_code == 200, opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    view = opened.json()
    assert view["name"] == "Status page"
    assert view["grid"]["columns"] == 12
    assert [w["id"] for w in view["widgets"]] == [host["id"], note["id"]]
    by_id = {w["id"]: w for w in view["widgets"]}
    assert by_id[host["id"]]["data"]["status"] == "ok"
    assert 0 <= by_id[host["id"]]["data"]["data"]["cpu"]["percent"] <= 100
    assert by_id[note["id"]]["data"]["data"]["html"] == "<p><strong>All good</strong></p>\n"
    # The personal widgets left out leave no hole: the shared ones float up.
    for widget in view["widgets"]:
        box = widget["position"]
        if box["y"] > 0:
            above = [o["position"] for o in view["widgets"] if o is not widget]
            assert any(
                o["x"] < box["x"] + box["w"] and box["x"] < o["x"] + o["w"]
                and o["y"] + o["h"] == box["y"] for o in above
            ), view["widgets"]  # fmt: skip
    assert "Private thing" not in opened.text
    assert "secret" not in opened.text
    assert user.username not in opened.text

    # A new link replaces the old one.
    again = (await client.post(f"/api/dashboards/{lid}/share", headers=user.headers)).json()
    assert again["token"] != token
    assert_error(await client.get(f"/api/dashboards/shared/{token}"), 404)
    assert (await client.get(f"/api/dashboards/shared/{again['token']}")).status_code == 200

    revoked = await client.delete(f"/api/dashboards/{lid}/share", headers=user.headers)
    assert revoked.status_code == 204
    assert_error(await client.get(f"/api/dashboards/shared/{again['token']}"), 404, "not_found")
    assert not (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()["shared"]
    assert_error(await client.get("/api/dashboards/shared/garbage"), 404)
    assert_error(await client.get("/api/dashboards/shared/wds_" + "x" * 43), 404)

    events = (
        await client.get(
            f"/api/audit?resource_type=dashboard&resource_id={lid}", headers=admin_headers
        )
    ).json()["items"]
    actions = [e["action"] for e in events]
    assert actions.count("dashboard.share") == 2
    assert "dashboard.unshare" in actions
    assert token not in str(events)
    assert again["token"] not in str(events)


async def test_deleting_a_shared_layout_kills_the_link(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    token = (
        await client.post(f"/api/dashboards/{layout['id']}/share", headers=user.headers)
    ).json()["token"]
    await client.delete(f"/api/dashboards/{layout['id']}", headers=user.headers)
    assert_error(await client.get(f"/api/dashboards/shared/{token}"), 404)


async def test_a_layout_deleted_while_being_unshared_is_404_not_500(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """The fuzz run found DELETE /api/dashboards/{id}/share answering 500 (StaleDataError) when
    another request deleted the layout between its read and its UPDATE. The race is replayed
    here on one connection: the row goes just before the UPDATE reaches the database."""
    user = await make_user()
    lid = (await create_layout(client, user.headers, "Racing"))["id"]
    assert (await client.post(f"/api/dashboards/{lid}/share", headers=user.headers)).is_success
    engine = app.state.engine.sync_engine
    deleted = []

    def delete_first(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not deleted and statement.lstrip().upper().startswith("UPDATE DASHBOARD_LAYOUTS"):
            deleted.append(True)
            conn.execute(text("DELETE FROM dashboard_widgets WHERE layout_id = :id"), {"id": lid})
            conn.execute(text("DELETE FROM dashboard_layouts WHERE id = :id"), {"id": lid})

    event.listen(engine, "before_cursor_execute", delete_first)
    try:
        response = await client.delete(f"/api/dashboards/{lid}/share", headers=user.headers)
    finally:
        event.remove(engine, "before_cursor_execute", delete_first)
    assert deleted
    assert_error(response, 404, "not_found")
    # The request's transaction was rolled back whole: the layout (and its link) are as before.
    assert (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()["shared"]
