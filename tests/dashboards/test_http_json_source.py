"""http_json sources against a real HTTP server on loopback: selectors, errors, SSRF guard."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory, assert_error, make_settings
from tests.dashboards.conftest import Route, Upstream, add_widget, create_layout, create_source
from wakedock.dashboards.sources import outbound
from wakedock.dashboards.sources.base import SourceError

STATUS = {
    "service": "builds",
    "queue": {"depth": 7, "oldest_seconds": 12.5},
    "workers": [{"name": "a", "up": True, "load": 0.5}, {"name": "b", "up": False, "load": 0}],
    "history": [[1700000000, 3], [1700000060, 5], [1700000120, 4]],
}


async def _data(client: httpx.AsyncClient, headers: dict[str, str], wid: int) -> dict[str, Any]:
    response = await client.get(f"/api/dashboards/widgets/{wid}/data", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_selectors_pick_values_from_the_document(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    upstream: Upstream,
) -> None:
    upstream.routes["/status"] = Route(STATUS)
    await create_source(
        client, admin_headers, "builds", "http_json", upstream.url("/status"),
        config={"url": upstream.url("/status"), "headers": {"X-Api-Key": "k3y"}},
    )  # fmt: skip
    user = await make_user()
    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    fields = await add_widget(
        client, user.headers, lid, "http_json",
        config={"source": "builds", "selector": "$.queue.depth", "fields": [
            {"label": "Oldest", "selector": "$.queue.oldest_seconds", "unit": "s"},
            {"label": "Up", "selector": "$.workers[?(@.up == true)].name"},
            {"label": "Names", "selector": "$.workers[*].name"},
            {"label": "Nothing", "selector": "$.nope"},
        ]},
    )  # fmt: skip
    stat = await add_widget(
        client, user.headers, lid, "single_stat",
        config={"source": "builds", "query": "$.queue.depth", "decimals": 0},
    )  # fmt: skip
    chart = await add_widget(
        client, user.headers, lid, "metric_chart",
        config={"source": "builds", "query": "$.history", "legend": "builds"},
    )  # fmt: skip

    body = await _data(client, user.headers, fields["id"])
    assert body["status"] == "ok", body
    assert body["source"] == "builds"
    assert body["data"] == {
        "value": 7,
        "fields": [
            {"label": "Oldest", "value": 12.5, "unit": "s"},
            {"label": "Up", "value": "a", "unit": ""},
            {"label": "Names", "value": ["a", "b"], "unit": ""},
            {"label": "Nothing", "value": None, "unit": ""},
        ],
    }
    assert (await _data(client, user.headers, stat["id"]))["data"]["value"] == 7
    series = (await _data(client, user.headers, chart["id"]))["data"]["series"]
    assert series == [
        {
            "labels": {},
            "name": "builds",
            "points": [[1700000000, 3.0], [1700000060, 5.0], [1700000120, 4.0]],
        }
    ]
    # One document fetch served all three widgets; the secret header went upstream.
    assert upstream.calls["/status"] == 1
    assert upstream.headers[0]["X-Api-Key"] == "k3y"


async def test_invalid_selector_is_refused_at_save(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    upstream: Upstream,
) -> None:
    await create_source(client, admin_headers, "doc", "http_json", upstream.url("/doc"))
    user = await make_user()
    layout = await create_layout(client, user.headers)
    response = await client.post(
        f"/api/dashboards/{layout['id']}/widgets",
        json={"type": "http_json", "config": {"source": "doc", "fields": [
            {"label": "x", "selector": "$.a"}, {"label": "y", "selector": "$[?(@.a ==]"}]}},
        headers=user.headers,
    )  # fmt: skip
    error = assert_error(response, 422)
    assert error["details"][0]["loc"] == ["body", "config", "fields", "1", "selector"]
    stat = await client.post(
        f"/api/dashboards/{layout['id']}/widgets",
        json={"type": "single_stat", "config": {"source": "doc", "query": "$.a[?(@.b >"}},
        headers=user.headers,
    )
    error = assert_error(stat, 422)
    assert error["details"][0]["loc"] == ["body", "config", "query"]


@pytest.mark.parametrize(
    ("route", "code"),
    [
        (Route({"error": "boom"}, status=500), "upstream_status"),
        (Route(None, raw=b"<html>not json</html>"), "invalid_json"),
        (Route(None, raw=b"x" * 5000), "response_too_large"),
        (Route({"late": True}, delay=2.0), "upstream_timeout"),
        (None, "upstream_status"),  # 404
    ],
    ids=["http-500", "not-json", "too-large", "timeout", "not-found"],
)
async def test_upstream_failures_are_a_widget_error_state_not_a_500(
    client: httpx.AsyncClient,
    app: Any,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    upstream: Upstream,
    route: Route | None,
    code: str,
) -> None:
    app.state.settings.dashboards_upstream_max_bytes = 4096
    if route is not None:
        upstream.routes["/bad"] = route
    await create_source(
        client, admin_headers, "bad", "http_json", upstream.url("/bad"),
        config={"url": upstream.url("/bad"), "timeout_seconds": 0.5},
    )  # fmt: skip
    user = await make_user()
    layout = await create_layout(client, user.headers)
    broken = await add_widget(
        client, user.headers, layout["id"], "http_json", config={"source": "bad", "selector": "$.a"}
    )
    fine = await add_widget(client, user.headers, layout["id"], "text", config={"markdown": "ok"})
    response = await client.get(f"/api/dashboards/{layout['id']}/data", headers=user.headers)
    assert response.status_code == 200, response.text
    by_id = {w["widget_id"]: w for w in response.json()["widgets"]}
    assert by_id[broken["id"]]["status"] == "error"
    assert by_id[broken["id"]]["data"] is None
    assert by_id[broken["id"]]["error"]["code"] == code
    assert by_id[broken["id"]]["error"]["message"]
    assert by_id[fine["id"]]["status"] == "ok"
    single = await _data(client, user.headers, broken["id"])
    assert single["status"] == "error"
    assert single["error"]["code"] == code


async def test_unreachable_upstream_is_an_error_state(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    # Port 9 on loopback (discard) has nothing listening here: the connection is refused.
    await create_source(client, admin_headers, "gone", "http_json", "http://127.0.0.1:9/x")
    user = await make_user()
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client, user.headers, layout["id"], "single_stat", config={"source": "gone", "query": "$.a"}
    )
    body = await _data(client, user.headers, widget["id"])
    assert body["status"] == "error"
    assert body["error"]["code"] == "upstream_unreachable"


async def test_concurrent_requests_share_one_upstream_call(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    upstream: Upstream,
) -> None:
    """N dashboards open at once: the counting upstream sees one call (single-flight)."""
    upstream.routes["/slow"] = Route({"v": 42}, delay=0.5)
    await create_source(
        client, admin_headers, "slow", "http_json", upstream.url("/slow"),
        refresh_interval_seconds=60,
    )  # fmt: skip
    users = [await make_user() for _ in range(3)]
    widgets = []
    for user in users:
        layout = await create_layout(client, user.headers)
        widget = await add_widget(
            client,
            user.headers,
            layout["id"],
            "single_stat",
            config={"source": "slow", "query": "$.v"},
        )
        widgets.append((user, widget))
    results = await asyncio.gather(
        *(
            client.get(f"/api/dashboards/widgets/{widget['id']}/data", headers=user.headers)
            for user, widget in widgets * 4
        )
    )
    assert {r.json()["data"]["value"] for r in results} == {42}
    assert upstream.calls["/slow"] == 1
    assert sum(1 for r in results if not r.json()["cached"]) == 1
    # Within the refresh interval later requests are served from the cache too.
    again = await _data(client, users[0].headers, widgets[0][1]["id"])
    assert again["cached"] is True
    assert upstream.calls["/slow"] == 1


async def test_ssrf_guard_refuses_private_targets_unless_allowed(tmp_path: Any) -> None:
    closed = make_settings(
        tmp_path / "a", "sqlite+aiosqlite:///:memory:", allow_private_targets=False
    )
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ):
        with pytest.raises(SourceError) as caught:
            await outbound.check_target(url, closed)
        assert caught.value.code == "target_refused", url
    for url in ("ftp://example.com/x", "http:///x", "http://user:pw@example.com/"):
        with pytest.raises(SourceError) as caught:
            await outbound.check_target(url, closed)
        assert caught.value.code == "invalid_url", url
    await outbound.check_target("http://93.184.215.14/x", closed)  # a public address literal
    opened = make_settings(
        tmp_path / "b",
        "sqlite+aiosqlite:///:memory:",
        dashboards_allowed_networks=["127.0.0.0/8"],
        allow_private_targets=False,
    )
    await outbound.check_target("http://127.0.0.1:8080/x", opened)
    with pytest.raises(SourceError):
        await outbound.check_target("http://10.1.2.3/x", opened)
    guard_off = make_settings(
        tmp_path / "c", "sqlite+aiosqlite:///:memory:", allow_private_targets=True
    )
    await outbound.check_target("http://10.1.2.3/x", guard_off)


async def test_creating_a_source_on_a_refused_target_is_422(
    client: httpx.AsyncClient, app: Any, admin_headers: dict[str, str], upstream: Upstream
) -> None:
    app.state.settings.dashboards_allowed_networks = []
    response = await client.post(
        "/api/dashboards/data-sources",
        json={"uid": "local", "name": "Local", "kind": "http_json",
              "config": {"url": upstream.url("/x")}},
        headers=admin_headers,
    )  # fmt: skip
    error = assert_error(response, 422, "target_refused")
    assert error["details"][0]["loc"] == ["body", "config", "url"]
    listed = (await client.get("/api/dashboards/data-sources", headers=admin_headers)).json()
    assert "local" not in [s["uid"] for s in listed["items"]]
