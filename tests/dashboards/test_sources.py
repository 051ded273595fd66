"""Data sources: dashboards:admin manages them; secrets never come back; built-ins stay."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory, assert_error
from tests.dashboards.conftest import Route, Upstream, add_widget, create_layout, create_source


async def test_builtin_sources_exist(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    items = (await client.get("/api/dashboards/data-sources", headers=user.headers)).json()["items"]
    assert [(s["uid"], s["kind"], s["builtin"]) for s in items] == [
        ("notifications", "notifications", True),
        ("system", "system", True),
    ]
    assert all(s["config"] is None for s in items)  # config is for admins only


async def test_only_admins_manage_sources(
    client: httpx.AsyncClient, make_user: UserFactory, upstream: Upstream
) -> None:
    user = await make_user()
    body = {"uid": "x", "name": "X", "kind": "http_json", "config": {"url": upstream.url("/x")}}
    assert_error(
        await client.post("/api/dashboards/data-sources", json=body, headers=user.headers),
        403,
        "missing_permission",
    )
    assert_error(
        await client.patch(
            "/api/dashboards/data-sources/1", json={"name": "n"}, headers=user.headers
        ),
        403,
    )
    assert_error(await client.delete("/api/dashboards/data-sources/1", headers=user.headers), 403)


async def test_crud_masks_secrets_and_keeps_them_on_update(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    upstream: Upstream,
) -> None:
    upstream.routes["/a"] = Route({"v": 1})
    created = await create_source(
        client, admin_headers, "api", "http_json", upstream.url("/a"),
        config={"url": upstream.url("/a"), "headers": {"Authorization": "Bearer s3cret"}},
        description="An API",
    )  # fmt: skip
    assert created["config"] == {
        "url": upstream.url("/a"),
        "headers": {"Authorization": "********"},
    }
    assert "s3cret" not in str(created)
    sid = created["id"]
    # Change the URL, send the masked header back: the stored secret stays.
    changed = await client.patch(
        f"/api/dashboards/data-sources/{sid}",
        json={"config": {"url": upstream.url("/a?v=2"), "headers": {"Authorization": "********"}},
              "refresh_interval_seconds": 10},
        headers=admin_headers,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["refresh_interval_seconds"] == 10
    tested = await client.post(f"/api/dashboards/data-sources/{sid}/test", headers=admin_headers)
    assert tested.json() == {"status": "ok", "error": None}
    assert upstream.headers[-1]["Authorization"] == "Bearer s3cret"

    duplicate = await client.post(
        "/api/dashboards/data-sources",
        json={"uid": "api", "name": "Again", "kind": "http_json",
              "config": {"url": upstream.url("/a")}},
        headers=admin_headers,
    )  # fmt: skip
    assert_error(duplicate, 409, "data_source_exists")
    bad = await client.post(
        "/api/dashboards/data-sources",
        json={"uid": "bad", "name": "Bad", "kind": "prometheus", "config": {"address": "x"}},
        headers=admin_headers,
    )
    assert_error(bad, 422)
    assert_error(
        await client.post(
            "/api/dashboards/data-sources",
            json={
                "uid": "Bad UID",
                "name": "B",
                "kind": "http_json",
                "config": {"url": "http://x"},
            },
            headers=admin_headers,
        ),
        422,
    )

    # In use: cannot be deleted until its widgets are gone.
    user = await make_user()
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client, user.headers, layout["id"], "single_stat", config={"source": "api", "query": "$.v"}
    )
    in_use = await client.delete(f"/api/dashboards/data-sources/{sid}", headers=admin_headers)
    assert_error(in_use, 409, "data_source_in_use")
    await client.delete(f"/api/dashboards/widgets/{widget['id']}", headers=user.headers)
    gone = await client.delete(f"/api/dashboards/data-sources/{sid}", headers=admin_headers)
    assert gone.status_code == 204

    builtin = next(
        s
        for s in (await client.get("/api/dashboards/data-sources", headers=admin_headers)).json()[
            "items"
        ]
        if s["uid"] == "system"
    )
    assert_error(
        await client.delete(f"/api/dashboards/data-sources/{builtin['id']}", headers=admin_headers),
        409,
        "builtin_data_source",
    )
    events = (
        await client.get("/api/audit?resource_type=data_source", headers=admin_headers)
    ).json()["items"]
    assert [e["action"] for e in events] == [
        "dashboard.source.delete",
        "dashboard.source.update",
        "dashboard.source.create",
    ]
    assert "s3cret" not in str(events)


async def test_test_endpoint_reports_failures(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    source = await create_source(client, admin_headers, "dead", "http_json", "http://127.0.0.1:9/")
    tested = await client.post(
        f"/api/dashboards/data-sources/{source['id']}/test", headers=admin_headers
    )
    assert tested.status_code == 200
    assert tested.json()["status"] == "error"
    assert tested.json()["error"]["code"] == "upstream_unreachable"
