"""Data sources through the one outbound guard: IPv4-embedded IPv6 refused (issue 17 finding
13), the deployment-wide ``WAKEDOCK_ALLOWED_NETWORKS`` applies, and the check is made at connect
time (a source saved while allowed is not fetched once its target is no longer allowed)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory, assert_error, make_settings
from tests.dashboards.conftest import Route, Upstream, add_widget, create_layout, create_source
from wakedock.dashboards.sources import outbound
from wakedock.dashboards.sources.base import SourceError


@pytest.mark.parametrize(
    "host",
    [
        "[::7f00:1]",
        "[::127.0.0.1]",
        "[::a9fe:a9fe]",
        "[::ffff:a00:1]",
        "[64:ff9b::7f00:1]",
        "[64:ff9b::a9fe:a9fe]",
        "[2002:7f00:1::1]",
        "[2002:a9fe:a9fe::1]",
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
        "[fec0::1]",
        "[ff02::1]",
        "192.0.0.8",
        "0x7f.1",
        "localhost.",
    ],
)
async def test_ipv4_embedded_ipv6_and_other_spellings_are_refused(tmp_path: Any, host: str) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///:memory:", allow_private_targets=False)
    with pytest.raises(SourceError) as caught:
        await outbound.check_target(f"http://{host}:9090/", settings)
    assert caught.value.code == "target_refused"


async def test_the_deployment_allow_list_applies_and_is_checked_at_every_connect(
    client: httpx.AsyncClient,
    app: Any,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    upstream: Upstream,
) -> None:
    settings = app.state.settings
    settings.dashboards_allowed_networks = []  # the deprecated name is not needed
    settings.allowed_networks = ["127.0.0.0/8"]
    upstream.routes["/v"] = Route({"value": 5})
    await create_source(client, admin_headers, "local", "http_json", upstream.url("/v"))
    user = await make_user()
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client,
        user.headers,
        layout["id"],
        "single_stat",
        config={"source": "local", "query": "$.value"},
    )

    async def data() -> dict[str, Any]:
        response = await client.get(
            f"/api/dashboards/widgets/{widget['id']}/data", headers=user.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    assert (await data())["data"]["value"] == 5
    assert upstream.calls["/v"] == 1
    # The allowance is withdrawn: the next fetch is refused when it connects.
    settings.allowed_networks = []
    app.state.dashboard_cache.clear()  # as when the refresh interval has passed
    answer = await data()
    assert answer["status"] == "error", answer
    assert answer["error"]["code"] == "target_refused"
    assert upstream.calls["/v"] == 1
    response = await client.post(
        "/api/dashboards/data-sources",
        json={"uid": "again", "name": "Again", "kind": "http_json",
              "config": {"url": upstream.url("/v")}},
        headers=admin_headers,
    )  # fmt: skip
    assert_error(response, 422, "target_refused")
