"""The system source: real psutil readings, sanity-checked, through the data endpoints."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory
from tests.dashboards.conftest import add_widget, create_layout
from wakedock.dashboards.sources import system


def test_a_sample_has_sane_values() -> None:
    sample = system.sample({"disk_paths": ["/", "/definitely/not/here"], "cpu_sample_seconds": 0.1})
    assert 0 <= sample["cpu"]["percent"] <= 100
    assert all(0 <= p <= 100 for p in sample["cpu"]["per_cpu"])
    assert sample["cpu"]["count"] >= 1
    memory = sample["memory"]
    assert memory["total"] > 0
    assert 0 <= memory["available"] <= memory["total"]
    assert 0 <= memory["percent"] <= 100
    root, missing = sample["disk"]
    assert root["path"] == "/"
    assert root["total"] > 0
    assert root["used"] + root["free"] <= root["total"] * 1.1
    assert 0 <= root["percent"] <= 100
    assert missing == {"path": "/definitely/not/here", "error": missing["error"]}
    assert sample["network"]["bytes_recv"] >= 0
    assert sample["uptime_seconds"] > 0
    assert all(v >= 0 for v in sample["load"].values())
    # The second sample has rates (bytes per second since the previous one).
    again = system.sample({"cpu_sample_seconds": 0.05})
    assert again["network"]["recv_per_second"] is not None
    assert again["network"]["recv_per_second"] >= 0


async def test_system_metrics_and_single_stat_widgets(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    metrics = await add_widget(
        client, user.headers, layout["id"], "system_metrics",
        config={"metrics": ["cpu", "memory", "disk", "network", "load", "uptime"]},
    )  # fmt: skip
    stat = await add_widget(
        client, user.headers, layout["id"], "single_stat",
        config={"source": "system", "query": "memory.percent", "unit": "%",
                "thresholds": [{"value": 0, "color": "green"}, {"value": 101, "color": "red"}]},
    )  # fmt: skip
    missing = await add_widget(
        client, user.headers, layout["id"], "single_stat",
        config={"source": "system", "query": "memory.nothing"},
    )  # fmt: skip

    response = await client.get(
        f"/api/dashboards/widgets/{metrics['id']}/data", headers=user.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body
    assert body["source"] == "system"
    assert body["refresh_interval"] == 5
    data = body["data"]
    assert 0 <= data["cpu"]["percent"] <= 100
    assert "per_cpu" not in data["cpu"]
    assert data["memory"]["total"] > 0
    assert data["disk"][0]["total"] > 0
    assert data["uptime_seconds"] > 0
    assert set(data) == {"cpu", "memory", "disk", "network", "load", "uptime_seconds", "boot_time"}

    all_data = (
        await client.get(f"/api/dashboards/{layout['id']}/data", headers=user.headers)
    ).json()
    by_id = {item["widget_id"]: item for item in all_data["widgets"]}
    # One sample serves every widget on the source within its refresh interval.
    assert by_id[metrics["id"]]["cached"] is True
    assert by_id[metrics["id"]]["data"] == data
    stat_data = by_id[stat["id"]]
    assert stat_data["status"] == "ok"
    assert stat_data["data"]["value"] == data["memory"]["percent"]
    assert stat_data["data"]["unit"] == "%"
    assert stat_data["data"]["color"] == "green"
    assert by_id[missing["id"]]["status"] == "error"
    assert by_id[missing["id"]]["error"]["code"] == "no_data"
