"""Templates: built-in ones, apply (usage counted), save from a layout, publish (admin only)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import UserFactory, assert_error
from tests.dashboards.conftest import add_widget, create_layout
from wakedock.dashboards.service import Rect
from wakedock.dashboards.templates.builtins import BUILTIN_TEMPLATES
from wakedock.dashboards.widgets import WIDGET_TYPES
from wakedock.dashboards.widgets.validation import validate_config, validate_position


def test_builtin_templates_are_valid_layouts() -> None:
    for template in BUILTIN_TEMPLATES:
        rects: list[Rect] = []
        for index, widget in enumerate(template["widgets"]):
            widget_type = WIDGET_TYPES[widget["type"]]
            field = f"{template['key']}.{index}"
            validate_config(widget_type, {**widget_type.default_config, **widget["config"]},
                            field=field)  # fmt: skip
            validate_position(widget_type, **widget["position"], columns=12, field=field)
            rect = Rect(**widget["position"])
            assert not any(rect.overlaps(other) for other in rects), field
            rects.append(rect)


async def _templates(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    items = (await client.get("/api/dashboards/templates", headers=headers)).json()["items"]
    return {item["name"]: item for item in items}


async def test_apply_a_builtin_template_and_move_widgets(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    templates = await _templates(client, user.headers)
    assert {"Operations overview", "Notifications", "Host monitoring"} <= set(templates)
    ops = templates["Operations overview"]
    assert ops["builtin"] is True
    assert ops["usage_count"] == 0
    assert "system_metrics" in ops["widget_types"]

    response = await client.post(
        f"/api/dashboards/templates/{ops['id']}/apply",
        json={"name": "My ops"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    layout = response.json()
    assert layout["name"] == "My ops"
    assert len(layout["widgets"]) == ops["widget_count"]
    assert {w["type"] for w in layout["widgets"]} == set(ops["widget_types"])

    # Move two widgets with one PUT and read them back.
    first, second = layout["widgets"][0], layout["widgets"][1]
    # One PUT moves every widget down by 20 rows (keeping x, w and h).
    moves = [{"id": w["id"], **{**w["position"], "y": w["position"]["y"] + 20}}
             for w in layout["widgets"]]  # fmt: skip
    saved = await client.put(
        f"/api/dashboards/{layout['id']}/layout", json={"widgets": moves}, headers=user.headers
    )
    assert saved.status_code == 200, saved.text
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    # The template's layout is compact: twenty rows down, everything floats back up.
    assert {w["id"]: w["position"]["y"] for w in got["widgets"]} == {
        w["id"]: w["position"]["y"] for w in layout["widgets"]
    }
    assert first["id"] in {w["id"] for w in got["widgets"]}
    assert second["id"] in {w["id"] for w in got["widgets"]}

    # Usage is counted, for everyone.
    other = await make_user()
    await client.post(
        f"/api/dashboards/templates/{ops['id']}/apply",
        json={"name": "Theirs"},
        headers=other.headers,
    )
    assert (await _templates(client, user.headers))["Operations overview"]["usage_count"] == 2
    events = (
        await client.get("/api/audit?action=dashboard.template.apply", headers=admin_headers)
    ).json()["items"]
    assert len(events) == 2

    # Built-in templates are read-only; a name is required.
    assert_error(
        await client.delete(f"/api/dashboards/templates/{ops['id']}", headers=admin_headers),
        409,
        "builtin_template",
    )
    assert_error(
        await client.post(
            f"/api/dashboards/templates/{ops['id']}/apply", json={}, headers=user.headers
        ),
        422,
    )
    assert_error(
        await client.post(
            "/api/dashboards/templates/99999/apply", json={"name": "x"}, headers=user.headers
        ),
        404,
    )


async def test_save_publish_and_visibility(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    author = await make_user()
    other = await make_user()
    layout = await create_layout(client, author.headers, "Mine", columns=16)
    await add_widget(client, author.headers, layout["id"], "text", config={"markdown": "hi"},
                     position={"x": 1, "y": 0, "w": 3, "h": 2})  # fmt: skip

    # Publishing needs dashboards:admin; saving privately does not.
    denied = await client.post(
        "/api/dashboards/templates",
        json={"layout_id": layout["id"], "name": "Public", "is_public": True},
        headers=author.headers,
    )
    assert_error(denied, 403, "missing_permission")
    saved = await client.post(
        "/api/dashboards/templates",
        json={"layout_id": layout["id"], "name": "Private", "description": "d"},
        headers=author.headers,
    )
    assert saved.status_code == 201, saved.text
    template = saved.json()
    assert template["mine"] is True
    assert template["is_public"] is False
    assert template["grid"]["columns"] == 16
    assert template["widgets"] == [
        {"type": "text", "title": "Text", "position": {"x": 1, "y": 0, "w": 3, "h": 2},
         "config": {"markdown": "hi"}}
    ]  # fmt: skip
    tid = template["id"]

    # Invisible to others (404), who cannot apply, change or delete it.
    assert "Private" not in await _templates(client, other.headers)
    for response in (
        await client.get(f"/api/dashboards/templates/{tid}", headers=other.headers),
        await client.post(
            f"/api/dashboards/templates/{tid}/apply", json={"name": "x"}, headers=other.headers
        ),
        await client.patch(
            f"/api/dashboards/templates/{tid}", json={"name": "x"}, headers=other.headers
        ),
        await client.delete(f"/api/dashboards/templates/{tid}", headers=other.headers),
    ):
        assert_error(response, 404)
    # The author cannot publish it either; an admin can (it is visible to admins only once
    # published, like to everyone else).
    assert_error(
        await client.patch(
            f"/api/dashboards/templates/{tid}", json={"is_public": True}, headers=author.headers
        ),
        403,
    )
    renamed = await client.patch(
        f"/api/dashboards/templates/{tid}", json={"name": "Shared notes"}, headers=author.headers
    )
    assert renamed.json()["name"] == "Shared notes"

    published = await client.post(
        "/api/dashboards/templates",
        json={"layout_id": (await create_layout(client, admin_headers, "Admin"))["id"],
              "name": "Company", "is_public": True},
        headers=admin_headers,
    )  # fmt: skip
    assert published.status_code == 201
    company = (await _templates(client, other.headers))["Company"]
    assert company["is_public"] is True
    assert company["mine"] is False
    applied = await client.post(
        f"/api/dashboards/templates/{company['id']}/apply",
        json={"name": "From company"},
        headers=other.headers,
    )
    assert applied.status_code == 201
    # Others cannot change a published template; an admin can unpublish it.
    assert_error(
        await client.patch(
            f"/api/dashboards/templates/{company['id']}", json={"name": "x"}, headers=other.headers
        ),
        403,
    )
    unpublished = await client.patch(
        f"/api/dashboards/templates/{company['id']}", json={"is_public": False},
        headers=admin_headers,
    )  # fmt: skip
    assert unpublished.json()["is_public"] is False
    assert "Company" not in await _templates(client, other.headers)

    deleted = await client.delete(f"/api/dashboards/templates/{tid}", headers=author.headers)
    assert deleted.status_code == 204
    assert "Shared notes" not in await _templates(client, author.headers)
    actions = [
        e["action"]
        for e in (
            await client.get("/api/audit?resource_type=dashboard_template", headers=admin_headers)
        ).json()["items"]
    ]
    assert actions.count("dashboard.template.create") == 2
    assert "dashboard.template.delete" in actions
