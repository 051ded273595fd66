"""Layouts: create, list, get, update, delete, duplicate, default; only your own; audited."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory, assert_error, bearer
from tests.dashboards.conftest import add_widget, create_layout


async def test_create_get_list_update_delete(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    created = await create_layout(client, user.headers, "Ops", description="Main screen")
    assert created["grid"] == {"columns": 12, "row_height": 80, "gap": 8}
    assert created["widgets"] == []
    assert created["is_default"] is True  # a user's first dashboard becomes their default
    assert created["shared"] is False

    got = (await client.get(f"/api/dashboards/{created['id']}", headers=user.headers)).json()
    assert got["name"] == "Ops"
    assert got["description"] == "Main screen"

    await create_layout(client, user.headers, "Another", columns=24, row_height=40, gap=4)
    listed = (await client.get("/api/dashboards", headers=user.headers)).json()["items"]
    assert [item["name"] for item in listed] == ["Another", "Ops"]
    assert listed[0]["grid"] == {"columns": 24, "row_height": 40, "gap": 4}
    assert listed[1]["widget_count"] == 0

    changed = await client.patch(
        f"/api/dashboards/{created['id']}",
        json={"name": "Operations", "row_height": 100},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Operations"
    assert changed.json()["grid"]["row_height"] == 100

    deleted = await client.delete(f"/api/dashboards/{created['id']}", headers=user.headers)
    assert deleted.status_code == 204
    assert_error(
        await client.get(f"/api/dashboards/{created['id']}", headers=user.headers),
        404,
        "not_found",
    )

    events = (
        await client.get(
            f"/api/audit?action=dashboard.&actor_name={user.username}", headers=admin_headers
        )
    ).json()["items"]
    actions = [e["action"] for e in events]
    assert actions.count("dashboard.create") == 2
    assert "dashboard.update" in actions
    assert "dashboard.delete" in actions


async def test_bad_layout_input_is_422_and_changes_nothing(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    for body in (
        {"name": ""},
        {"name": "x", "columns": 0},
        {"name": "x", "columns": 49},
        {"name": "x", "gap": -1},
        {"name": "x", "unknown": 1},
    ):
        assert_error(await client.post("/api/dashboards", json=body, headers=user.headers), 422)
    assert (await client.get("/api/dashboards", headers=user.headers)).json()["items"] == []


async def test_another_users_layout_is_404_everywhere(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    owner = await make_user()
    other = await make_user()
    layout = await create_layout(client, owner.headers, "Private")
    widget = await add_widget(client, owner.headers, layout["id"], "text", config={"markdown": "x"})
    lid, wid = layout["id"], widget["id"]
    h = other.headers
    for response in (
        await client.get(f"/api/dashboards/{lid}", headers=h),
        await client.patch(f"/api/dashboards/{lid}", json={"name": "mine"}, headers=h),
        await client.delete(f"/api/dashboards/{lid}", headers=h),
        await client.post(f"/api/dashboards/{lid}/duplicate", headers=h),
        await client.post(f"/api/dashboards/{lid}/default", headers=h),
        await client.put(
            f"/api/dashboards/{lid}/layout",
            json={"widgets": [{"id": wid, "x": 0, "y": 0, "w": 4, "h": 2}]},
            headers=h,
        ),
        await client.post(f"/api/dashboards/{lid}/widgets", json={"type": "text"}, headers=h),
        await client.get(f"/api/dashboards/{lid}/data", headers=h),
        await client.post(f"/api/dashboards/{lid}/share", headers=h),
        await client.delete(f"/api/dashboards/{lid}/share", headers=h),
        await client.patch(f"/api/dashboards/widgets/{wid}", json={"title": "x"}, headers=h),
        await client.delete(f"/api/dashboards/widgets/{wid}", headers=h),
        await client.get(f"/api/dashboards/widgets/{wid}/data", headers=h),
        await client.post(f"/api/dashboards/widgets/{wid}/actions/0", headers=h),
        await client.put("/api/dashboards/preferences", json={"default_layout_id": lid}, headers=h),
        await client.post(
            "/api/dashboards/templates", json={"layout_id": lid, "name": "steal"}, headers=h
        ),
    ):
        error = assert_error(response, 404, "not_found")
        assert "Private" not in error["message"]
    # The owner's layout is untouched.
    got = (await client.get(f"/api/dashboards/{lid}", headers=owner.headers)).json()
    assert got["name"] == "Private"
    assert got["shared"] is False
    assert [w["title"] for w in got["widgets"]] == ["Text"]


async def test_duplicate_copies_widgets(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers, "Source")
    await add_widget(
        client,
        user.headers,
        layout["id"],
        "text",
        position={"x": 2, "y": 1, "w": 4, "h": 2},
        config={"markdown": "hello"},
        title="Note",
    )
    response = await client.post(f"/api/dashboards/{layout['id']}/duplicate", headers=user.headers)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["id"] != layout["id"]
    assert copy["name"] == "Source (copy)"
    assert [(w["title"], w["position"], w["config"]) for w in copy["widgets"]] == [
        ("Note", {"x": 2, "y": 0, "w": 4, "h": 2}, {"markdown": "hello"})  # asked y=1: floats up
    ]
    named = await client.post(
        f"/api/dashboards/{layout['id']}/duplicate", json={"name": "Named"}, headers=user.headers
    )
    assert named.json()["name"] == "Named"


async def test_one_default_per_user(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    other = await make_user()
    first = await create_layout(client, user.headers, "A")
    second = await create_layout(client, user.headers, "B")
    theirs = await create_layout(client, other.headers, "Theirs")
    # Each user's first dashboard became their default; the next ones did not.
    listed = (await client.get("/api/dashboards", headers=user.headers)).json()["items"]
    assert {item["name"]: item["is_default"] for item in listed} == {"A": True, "B": False}
    assert second["is_default"] is False
    default = (await client.get("/api/dashboards/default", headers=user.headers)).json()
    assert default["id"] == first["id"]
    await client.put(
        "/api/dashboards/preferences", json={"default_layout_id": None}, headers=user.headers
    )
    assert_error(await client.get("/api/dashboards/default", headers=user.headers), 404)

    made = await client.post(f"/api/dashboards/{first['id']}/default", headers=user.headers)
    assert made.status_code == 200
    assert made.json()["is_default"] is True
    await client.post(f"/api/dashboards/{theirs['id']}/default", headers=other.headers)
    await client.post(f"/api/dashboards/{second['id']}/default", headers=user.headers)

    listed = (await client.get("/api/dashboards", headers=user.headers)).json()["items"]
    assert {item["name"]: item["is_default"] for item in listed} == {"A": False, "B": True}
    default = (await client.get("/api/dashboards/default", headers=user.headers)).json()
    assert default["id"] == second["id"]
    prefs = (await client.get("/api/dashboards/preferences", headers=user.headers)).json()
    assert prefs["default_layout_id"] == second["id"]
    # The other user's default is their own.
    their_default = (await client.get("/api/dashboards/default", headers=other.headers)).json()
    assert their_default["id"] == theirs["id"]

    # Deleting the default leaves no default.
    await client.delete(f"/api/dashboards/{second['id']}", headers=user.headers)
    assert_error(await client.get("/api/dashboards/default", headers=user.headers), 404)
    # With none, the next dashboard made becomes the default again.
    third = await create_layout(client, user.headers, "C")
    assert third["is_default"] is True


async def test_shrinking_the_grid_under_a_widget_is_refused(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    await add_widget(
        client, user.headers, layout["id"], "text", position={"x": 8, "y": 0, "w": 4, "h": 2}
    )
    error = assert_error(
        await client.patch(
            f"/api/dashboards/{layout['id']}", json={"columns": 8}, headers=user.headers
        ),
        422,
    )
    assert error["details"][0]["loc"] == ["body", "columns"]
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["grid"]["columns"] == 12
    ok = await client.patch(
        f"/api/dashboards/{layout['id']}", json={"columns": 16}, headers=user.headers
    )
    assert ok.json()["grid"]["columns"] == 16


async def test_reading_needs_login_and_writing_needs_dashboards_write(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    assert_error(await client.get("/api/dashboards"), 401)
    assert_error(await client.post("/api/dashboards", json={"name": "x"}), 401)
    user = await make_user()
    layout = await create_layout(client, user.headers, "Mine")
    created = await client.post(
        "/api/auth/api-tokens",
        json={"name": "viewer", "scopes": ["dashboards:read"]},
        headers=user.headers,
    )
    read_only = bearer(created.json()["token"])
    assert (await client.get("/api/dashboards", headers=read_only)).status_code == 200
    error = assert_error(
        await client.post("/api/dashboards", json={"name": "x"}, headers=read_only),
        403,
        "missing_permission",
    )
    assert error["details"] == {"missing": ["dashboards:write"]}
    assert_error(await client.delete(f"/api/dashboards/{layout['id']}", headers=read_only), 403)
    assert_error(
        await client.put("/api/dashboards/preferences", json={"theme": "dark"}, headers=read_only),
        403,
    )
