"""Preferences: defaults, partial updates, validation, the default layout."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory, assert_error
from tests.dashboards.conftest import create_layout


async def test_defaults_then_partial_updates(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    prefs = (await client.get("/api/dashboards/preferences", headers=user.headers)).json()
    assert prefs == {
        "theme": "auto",
        "auto_refresh_interval": 30,
        "show_grid": True,
        "snap_to_grid": True,
        "compact_mode": False,
        "default_widget_size": {"w": 4, "h": 3},
        "default_layout_id": None,
        "updated_at": None,
    }
    layout = await create_layout(client, user.headers)
    response = await client.put(
        "/api/dashboards/preferences",
        json={"theme": "dark", "compact_mode": True, "default_widget_size": {"w": 6, "h": 2},
              "default_layout_id": layout["id"]},
        headers=user.headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    second = await client.put(
        "/api/dashboards/preferences", json={"auto_refresh_interval": 0}, headers=user.headers
    )
    prefs = second.json()
    assert prefs["theme"] == "dark"
    assert prefs["compact_mode"] is True
    assert prefs["auto_refresh_interval"] == 0
    assert prefs["default_widget_size"] == {"w": 6, "h": 2}
    assert prefs["default_layout_id"] == layout["id"]
    assert prefs["updated_at"] is not None
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["is_default"] is True
    cleared = await client.put(
        "/api/dashboards/preferences", json={"default_layout_id": None}, headers=user.headers
    )
    assert cleared.json()["default_layout_id"] is None
    assert cleared.json()["theme"] == "dark"

    # Someone else's preferences are their own.
    other = await make_user()
    theirs = (await client.get("/api/dashboards/preferences", headers=other.headers)).json()
    assert theirs["theme"] == "auto"

    events = (
        await client.get(
            "/api/audit?action=dashboard.preferences.update&actor_name=" + user.username,
            headers=admin_headers,
        )
    ).json()["items"]
    assert len(events) == 3
    # default_layout_id is unchanged: the user's first dashboard already is their default.
    assert events[-1]["details"]["changed"] == [
        "compact_mode", "default_widget_h", "default_widget_w", "theme",
    ]  # fmt: skip


async def test_bad_preferences_are_422(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    for body in (
        {"theme": "purple"},
        {"auto_refresh_interval": -5},
        {"default_widget_size": {"w": 0, "h": 2}},
        {"show_grid": "maybe"},
        {"colour": "red"},
    ):
        assert_error(
            await client.put("/api/dashboards/preferences", json=body, headers=user.headers), 422
        )
    assert_error(
        await client.put(
            "/api/dashboards/preferences", json={"default_layout_id": 99999}, headers=user.headers
        ),
        404,
    )
    prefs = (await client.get("/api/dashboards/preferences", headers=user.headers)).json()
    assert prefs["updated_at"] is None
