"""Widgets: create, validate against the grid and their type, update, delete, save positions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory, assert_error
from tests.dashboards.conftest import add_widget, create_layout
from wakedock.dashboards.widgets import WIDGET_TYPES


async def test_widget_types_catalogue(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    response = await client.get("/api/dashboards/widget-types", headers=user.headers)
    assert response.status_code == 200
    types = {item["type"]: item for item in response.json()["items"]}
    assert set(types) == {
        "notification_feed",
        "unread_counter",
        "notification_stats",
        "system_metrics",
        "metric_chart",
        "single_stat",
        "text",
        "quick_actions",
        "prometheus_query",
        "http_json",
    }
    for item in types.values():
        assert item["config_schema"]["type"] == "object"
        low, default, high = item["min_size"], item["default_size"], item["max_size"]
        assert low["w"] <= default["w"] <= high["w"]
        assert low["h"] <= default["h"] <= high["h"]
    assert types["notification_feed"]["personal"] is True
    assert types["system_metrics"]["personal"] is False
    assert types["prometheus_query"]["source_kinds"] == ["prometheus"]


async def test_create_widget_with_position_and_auto_placement(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    first = await add_widget(
        client, user.headers, lid, "text", position={"x": 0, "y": 0, "w": 6, "h": 2},
        config={"markdown": "# Hi"}, title="Notes",
    )  # fmt: skip
    assert first["title"] == "Notes"
    assert first["position"] == {"x": 0, "y": 0, "w": 6, "h": 2}
    assert first["config"] == {"markdown": "# Hi"}
    assert set(first) >= {"id", "type", "title", "position", "config"}

    # No position: the first free spot at the type's default size, right of the first one.
    second = await add_widget(client, user.headers, lid, "system_metrics")
    assert second["position"] == {"x": 6, "y": 0, "w": 4, "h": 3}
    assert second["title"] == "Host"
    assert second["config"] == {"metrics": ["cpu", "memory", "disk", "network"], "per_cpu": False}
    third = await add_widget(client, user.headers, lid, "system_metrics")
    assert third["position"] == {"x": 0, "y": 2, "w": 4, "h": 3}

    got = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    assert [w["id"] for w in got["widgets"]] == [first["id"], second["id"], third["id"]]
    assert got["widget_count"] == 3


def _bad_positions() -> list[tuple[str, dict[str, Any], dict[str, int]]]:
    text: dict[str, Any] = {"type": "text"}
    return [
        ("negative x", text, {"x": -1, "y": 0, "w": 2, "h": 2}),
        ("negative y", text, {"x": 0, "y": -1, "w": 2, "h": 2}),
        ("past the columns", text, {"x": 10, "y": 0, "w": 4, "h": 2}),
        ("wider than the grid", text, {"x": 0, "y": 0, "w": 13, "h": 2}),
        ("zero width", text, {"x": 0, "y": 0, "w": 0, "h": 2}),
        ("under the minimum", {"type": "notification_stats"}, {"x": 0, "y": 0, "w": 2, "h": 3}),
        ("over the type's maximum", {"type": "unread_counter"}, {"x": 0, "y": 0, "w": 2, "h": 5}),
        ("too far down", text, {"x": 0, "y": 999, "w": 2, "h": 2}),
    ]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "position"), _bad_positions(), ids=lambda v: v)
async def test_out_of_grid_or_bad_sizes_are_422(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    case: str,
    body: dict[str, Any],
    position: dict[str, int],
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    response = await client.post(
        f"/api/dashboards/{layout['id']}/widgets",
        json={**body, "position": position},
        headers=user.headers,
    )
    error = assert_error(response, 422, "validation_error")
    assert error["details"][0]["loc"][:2] == ["body", "position"], case
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["widgets"] == []


async def test_a_widget_placed_on_another_pushes_it_down(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """The editor's rule: what a widget lands on moves down, then everything floats up."""
    user = await make_user()
    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    first = await add_widget(
        client, user.headers, lid, "text", position={"x": 0, "y": 0, "w": 4, "h": 2}
    )
    second = await add_widget(
        client, user.headers, lid, "text", position={"x": 3, "y": 0, "w": 4, "h": 2}
    )
    assert second["position"] == {"x": 3, "y": 0, "w": 4, "h": 2}  # it wins its spot
    # A widget asked for far below floats up to the first free row.
    low = await add_widget(
        client, user.headers, lid, "text", position={"x": 8, "y": 40, "w": 4, "h": 2}
    )
    assert low["position"] == {"x": 8, "y": 0, "w": 4, "h": 2}
    got = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    boxes = {w["id"]: w["position"] for w in got["widgets"]}
    assert boxes[first["id"]] == {"x": 0, "y": 2, "w": 4, "h": 2}

    # Moving one by PATCH is the same drag: it lands on the first, the first goes below.
    response = await client.patch(
        f"/api/dashboards/widgets/{low['id']}",
        json={"position": {"x": 0, "y": 0, "w": 4, "h": 3}},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    got = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    boxes = {w["id"]: w["position"] for w in got["widgets"]}
    assert boxes == {
        low["id"]: {"x": 0, "y": 0, "w": 4, "h": 3},
        second["id"]: {"x": 3, "y": 3, "w": 4, "h": 2},
        first["id"]: {"x": 0, "y": 5, "w": 4, "h": 2},
    }
    # Removing the top one: the others float up into its space.
    removed = await client.delete(f"/api/dashboards/widgets/{low['id']}", headers=user.headers)
    assert removed.status_code == 204
    got = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    assert {w["id"]: w["position"] for w in got["widgets"]} == {
        second["id"]: {"x": 3, "y": 0, "w": 4, "h": 2},
        first["id"]: {"x": 0, "y": 2, "w": 4, "h": 2},
    }


async def test_layout_rules_against_hostile_input(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """Whatever is sent: a box off the grid, a negative, a NUL, a huge number, an id twice, a
    pile of widgets on one spot: a 422 that changes nothing, or a compact layout."""
    user = await make_user()
    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    ids = [
        (await add_widget(client, user.headers, lid, "text", position={"x": 0, "y": 0, "w": 12,
                                                                        "h": 2}))["id"]
        for _ in range(5)
    ]  # fmt: skip
    before = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()

    async def put(body: Any) -> httpx.Response:
        return await client.put(f"/api/dashboards/{lid}/layout", json=body, headers=user.headers)

    w0 = ids[0]
    bad: list[Any] = [
        {"widgets": [{"id": w0, "x": -1, "y": 0, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": 0, "y": -5, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": 11, "y": 0, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": 0, "y": 0, "w": 13, "h": 2}]},
        {"widgets": [{"id": w0, "x": 0, "y": 0, "w": 0, "h": 2}]},
        {"widgets": [{"id": w0, "x": 0, "y": 999, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": 2**63, "y": 0, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": 1e300, "y": 0, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": "1", "y": 0, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": None, "y": 0, "w": 2, "h": 2}]},
        {"widgets": [{"id": w0, "x": 0, "y": 0, "w": 2, "h": 2}] * 2},
        {"widgets": [{"id": w0, "x": 0, "y": 0, "w": 2, "h": 2, "i": "x\u0000"}]},
        {"widgets": "x\u0000"},
        {"widgets": [[0, 0, 2, 2]]},
    ]
    for body in bad:
        response = await put(body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["message"], body
    for raw in (b'{"widgets": [{"id": 1, "x": 0, "y": 0, "w": 2, "h": 2, "t": "\\u0000"}]}',
                b'{"widgets": [' + b'{"id": 1},' * 5000 + b'{"id": 1}]}'):  # fmt: skip
        response = await client.put(
            f"/api/dashboards/{lid}/layout",
            content=raw,
            headers={**user.headers, "content-type": "application/json"},
        )
        assert response.status_code in (413, 422), response.text
    after = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    assert after["widgets"] == before["widgets"]  # nothing changed

    # Every widget sent onto one spot: stacked in reading order, no overlap, no hole.
    pile = [{"id": i, "x": 0, "y": 0, "w": 12, "h": 2} for i in reversed(ids)]
    response = await put({"widgets": pile})
    assert response.status_code == 200, response.text
    boxes = sorted((w["position"]["y"], w["id"]) for w in response.json()["widgets"])
    assert [y for y, _ in boxes] == [0, 2, 4, 6, 8]
    # Pushing the dashboard past the row limit is refused as a whole.
    tall = [{"id": i, "x": 0, "y": 0, "w": 12, "h": 300} for i in ids]
    assert_error(await put({"widgets": tall}), 422)


async def test_unknown_type_and_bad_configs_are_422(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    url = f"/api/dashboards/{layout['id']}/widgets"
    unknown = await client.post(url, json={"type": "clock"}, headers=user.headers)
    error = assert_error(unknown, 422, "unknown_widget_type")
    assert error["details"][0]["loc"] == ["body", "type"]

    for body in (
        {"type": "text", "config": {"markdown": 5}},
        {"type": "text", "config": {"colour": "red"}},
        {"type": "notification_feed", "config": {"limit": 500}},
        {"type": "notification_stats", "config": {"group_by": "sender"}},
        {"type": "system_metrics", "config": {"metrics": ["gpu"]}},
        {"type": "system_metrics", "config": {"metrics": []}},
        {"type": "single_stat", "config": {"query": "up"}},  # no source
        {"type": "quick_actions", "config": {"actions": [{"label": "x", "action": "reboot"}]}},
        {"type": "quick_actions", "config": {"actions": [{"label": "x", "action": "open_url"}]}},
        {
            "type": "quick_actions",
            "config": {"actions": [{"label": "x", "action": "open_url", "url": "javascript:x"}]},
        },
    ):
        response = await client.post(url, json=body, headers=user.headers)
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["loc"][:2] == ["body", "config"], body
    # A source that does not exist, or of the wrong kind.
    missing = await client.post(
        url,
        json={"type": "single_stat", "config": {"source": "nope", "query": "up"}},
        headers=user.headers,
    )
    assert_error(missing, 422, "unknown_data_source")
    wrong_kind = await client.post(
        url,
        json={"type": "prometheus_query", "config": {"source": "system", "query": "up"}},
        headers=user.headers,
    )
    error = assert_error(wrong_kind, 422)
    assert error["details"][0]["loc"] == ["body", "config", "source"]
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["widgets"] == []


async def test_update_and_delete_widget(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client, user.headers, layout["id"], "notification_feed",
        position={"x": 0, "y": 0, "w": 4, "h": 4},
    )  # fmt: skip
    wid = widget["id"]
    changed = await client.patch(
        f"/api/dashboards/widgets/{wid}",
        json={"title": "Inbox", "config": {"limit": 5, "unread_only": True},
              "position": {"x": 4, "y": 1, "w": 6, "h": 5}},
        headers=user.headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["title"] == "Inbox"
    assert body["position"] == {"x": 4, "y": 0, "w": 6, "h": 5}  # floated up: no hole above
    assert body["config"] == {"limit": 5, "unread_only": True, "type": None, "priority": None}

    # A bad change changes nothing, including the parts that were valid.
    bad = await client.patch(
        f"/api/dashboards/widgets/{wid}",
        json={"title": "Other", "config": {"limit": 0}},
        headers=user.headers,
    )
    assert_error(bad, 422)
    assert_error(
        await client.patch(
            f"/api/dashboards/widgets/{wid}", json={"type": "text"}, headers=user.headers
        ),
        422,
    )
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["widgets"][0]["title"] == "Inbox"
    assert got["widgets"][0]["config"]["limit"] == 5

    assert (
        await client.delete(f"/api/dashboards/widgets/{wid}", headers=user.headers)
    ).status_code == 204
    assert_error(await client.delete(f"/api/dashboards/widgets/{wid}", headers=user.headers), 404)
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["widgets"] == []

    events = (
        await client.get(
            f"/api/audit?resource_type=dashboard_widget&resource_id={wid}", headers=admin_headers
        )
    ).json()["items"]
    assert [e["action"] for e in events] == [
        "dashboard.widget.delete",
        "dashboard.widget.update",
        "dashboard.widget.create",
    ]


async def test_put_layout_moves_every_widget_at_once(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    a = await add_widget(
        client, user.headers, lid, "text", position={"x": 0, "y": 0, "w": 6, "h": 2}
    )
    b = await add_widget(
        client, user.headers, lid, "text", position={"x": 6, "y": 0, "w": 6, "h": 2}
    )
    c = await add_widget(
        client, user.headers, lid, "text", position={"x": 0, "y": 2, "w": 4, "h": 2}
    )

    # Swap a and b: each move alone would overlap the other; together they fit.
    swap = {"widgets": [
        {"id": a["id"], "x": 6, "y": 0, "w": 6, "h": 2},
        {"id": b["id"], "x": 0, "y": 0, "w": 6, "h": 2},
    ]}  # fmt: skip
    response = await client.put(f"/api/dashboards/{lid}/layout", json=swap, headers=user.headers)
    assert response.status_code == 200, response.text
    positions = {w["id"]: w["position"] for w in response.json()["widgets"]}
    assert positions == {
        a["id"]: {"x": 6, "y": 0, "w": 6, "h": 2},
        b["id"]: {"x": 0, "y": 0, "w": 6, "h": 2},
        c["id"]: {"x": 0, "y": 2, "w": 4, "h": 2},  # not listed: stays
    }
    # Read back.
    got = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    assert {w["id"]: w["position"] for w in got["widgets"]} == positions

    def put(items: list[dict[str, int]]) -> Any:
        return client.put(f"/api/dashboards/{lid}/layout", json={"widgets": items},
                          headers=user.headers)  # fmt: skip

    # Growing b into the unlisted c pushes c down (as the editor's resize does).
    grown = await put([{"id": b["id"], "x": 0, "y": 0, "w": 6, "h": 3}])
    assert grown.status_code == 200, grown.text
    positions = {w["id"]: w["position"] for w in grown.json()["widgets"]}
    assert positions[c["id"]] == {"x": 0, "y": 3, "w": 4, "h": 2}
    # Anything off the grid is refused; nothing moves.
    error = assert_error(await put([
        {"id": c["id"], "x": 0, "y": 5, "w": 4, "h": 2},
        {"id": a["id"], "x": 9, "y": 0, "w": 6, "h": 2},
    ]), 422)  # fmt: skip
    assert error["details"][0]["loc"][:3] == ["body", "widgets", "1"]
    assert_error(await put([{"id": a["id"], "x": 0, "y": 0, "w": 6}]), 422)  # missing h
    assert_error(
        await put([{"id": a["id"], "x": 6, "y": 0, "w": 6, "h": 2}] * 2), 422
    )  # listed twice
    # An id that is not on this dashboard (missing, or on another user's) is a 404.
    other = await make_user()
    theirs = await create_layout(client, other.headers)
    their_widget = await add_widget(client, other.headers, theirs["id"], "text")
    assert_error(await put([{"id": their_widget["id"], "x": 0, "y": 8, "w": 2, "h": 2}]), 404)
    assert_error(await put([{"id": 999999, "x": 0, "y": 8, "w": 2, "h": 2}]), 404)
    got = (await client.get(f"/api/dashboards/{lid}", headers=user.headers)).json()
    assert {w["id"]: w["position"] for w in got["widgets"]} == positions
    their = (await client.get(f"/api/dashboards/{theirs['id']}", headers=other.headers)).json()
    assert their["widgets"][0]["position"] == their_widget["position"]


def test_every_builtin_widget_default_config_is_valid_for_its_schema() -> None:
    from wakedock.dashboards.widgets.validation import validate_config

    for widget_type in WIDGET_TYPES.values():
        config = dict(widget_type.default_config)
        if "source" in widget_type.config_schema.get("required", []):
            config.update(source="x", query="up") if widget_type.name != "http_json" else None
            if widget_type.name == "http_json":
                config.update(source="x", selector="$.a")
        validate_config(widget_type, config, field="body.config")


def test_docs_describe_every_widget_type_and_setting() -> None:
    from pathlib import Path

    from wakedock.settings import Settings

    docs = (Path(__file__).resolve().parents[2] / "docs" / "dashboards.md").read_text()
    for name in WIDGET_TYPES:
        assert f"| `{name}` |" in docs, name
    for field in Settings.model_fields:
        if field.startswith("dashboards_"):
            assert f"`WAKEDOCK_{field.upper()}`" in docs, field
