"""The prometheus source against a real Prometheus server scraping WakeDock's own /metrics.

A module fixture starts WakeDock (``wakedock serve``, a real Uvicorn) and Prometheus (the
Debian ``prometheus`` binary) on loopback, with a 1 s scrape of WakeDock's /metrics, and waits
until the first samples are in. Without the binary the tests skip with the reason (in CI, where
WAKEDOCK_TEST_REQUIRE_SERVICES=1, they fail instead).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory, assert_error, skip_or_fail
from tests.dashboards.conftest import add_widget, create_layout, create_source

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for(check: Any, what: str, procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{what}: a server exited early ({proc.args!r})")
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        skip_or_fail("the prometheus binary is not installed (apt-get install prometheus)")
    assert binary is not None
    root = tmp_path_factory.mktemp("prometheus")
    app_port, prom_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env.update(WAKEDOCK_DATA_DIR=str(root / "data"), WAKEDOCK_ADMIN_PASSWORD="admin-password-1")
    app = subprocess.Popen(
        [sys.executable, "-m", "wakedock", "serve", "--host", "127.0.0.1", "--port", str(app_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    config = root / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: wakedock\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{app_port}']\n"
    )
    base = f"http://127.0.0.1:{prom_port}"
    prom: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{app_port}/metrics", timeout=2).status_code == 200,
            "WakeDock to serve /metrics",
            [app],
            60,
        )
        # Only now: a scrape before WakeDock listens records up=0, which the range query sees.
        prom = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def scraped() -> bool:
            # Three scrapes at least: the first sample is then seconds old, inside the step-aligned
            # window of a range query (one fresh sample can lie just past its rounded end).
            response = httpx.get(
                f"{base}/api/v1/query",
                params={"query": 'count_over_time(up{job="wakedock"}[30s]) >= 3'},
                timeout=2,
            )
            # Prometheus answers 503 "Service Unavailable" (not JSON) until its TSDB has opened.
            if response.status_code != 200:
                return False
            return bool(response.json().get("data", {}).get("result"))

        _wait_for(scraped, "Prometheus to scrape WakeDock", [app, prom], 60)
        yield base
    finally:
        if prom is not None:
            _stop(prom)
        _stop(app)


async def _data(client: httpx.AsyncClient, headers: dict[str, str], wid: int) -> dict[str, Any]:
    response = await client.get(f"/api/dashboards/widgets/{wid}/data", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_instant_range_and_stat_queries(
    prometheus_url: str,
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    await create_source(client, admin_headers, "prom", "prometheus", prometheus_url)
    user = await make_user()
    layout = await create_layout(client, user.headers)
    lid = layout["id"]
    instant = await add_widget(
        client, user.headers, lid, "prometheus_query",
        config={"source": "prom", "query": 'up{job="wakedock"}', "legend": "{job} on {instance}"},
    )  # fmt: skip
    stat = await add_widget(
        client, user.headers, lid, "single_stat",
        config={"source": "prom", "query": 'sum(wakedock_http_requests_total{route="/metrics"})',
                "decimals": 0},
    )  # fmt: skip
    chart = await add_widget(
        client, user.headers, lid, "metric_chart",
        config={"source": "prom", "query": 'up{job="wakedock"}', "range_seconds": 120,
                "step_seconds": 1},
    )  # fmt: skip

    body = await _data(client, user.headers, instant["id"])
    assert body["status"] == "ok", body
    assert body["source"] == "prom"
    [series] = body["data"]["series"]
    assert series["labels"]["job"] == "wakedock"
    assert series["value"] == 1.0
    assert series["name"].startswith("wakedock on 127.0.0.1:")
    assert body["data"]["result_type"] == "vector"

    value = (await _data(client, user.headers, stat["id"]))["data"]["value"]
    assert isinstance(value, float)
    assert value >= 1  # Prometheus scraped /metrics at least once, and WakeDock counted it

    chart_data = (await _data(client, user.headers, chart["id"]))["data"]
    [line] = chart_data["series"]
    assert line["points"]
    assert all(v == 1.0 for _, v in line["points"])
    timestamps = [t for t, _ in line["points"]]
    assert timestamps == sorted(timestamps)
    assert chart_data["step_seconds"] == 1

    tested = await client.post(
        f"/api/dashboards/data-sources/{(await _source_id(client, admin_headers, 'prom'))}/test",
        headers=admin_headers,
    )
    assert tested.json()["status"] == "ok"


async def _source_id(client: httpx.AsyncClient, headers: dict[str, str], uid: str) -> int:
    items = (await client.get("/api/dashboards/data-sources", headers=headers)).json()["items"]
    return int(next(s["id"] for s in items if s["uid"] == uid))


async def test_bad_promql_is_the_widgets_error_state(
    prometheus_url: str,
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
) -> None:
    await create_source(client, admin_headers, "prom", "prometheus", prometheus_url)
    user = await make_user()
    layout = await create_layout(client, user.headers)
    bad = await add_widget(
        client,
        user.headers,
        layout["id"],
        "prometheus_query",
        config={"source": "prom", "query": "sum("},
    )
    empty = await add_widget(
        client, user.headers, layout["id"], "single_stat",
        config={"source": "prom", "query": 'up{job="nothing-here"}'},
    )  # fmt: skip
    response = await client.get(f"/api/dashboards/{layout['id']}/data", headers=user.headers)
    assert response.status_code == 200
    by_id = {w["widget_id"]: w for w in response.json()["widgets"]}
    assert by_id[bad["id"]]["status"] == "error"
    assert by_id[bad["id"]]["error"]["code"] == "query_failed"
    assert "parse error" in by_id[bad["id"]]["error"]["message"]
    assert by_id[bad["id"]]["error"]["details"]["error_type"] == "bad_data"
    assert by_id[empty["id"]]["status"] == "error"
    assert by_id[empty["id"]]["error"]["code"] == "no_data"


async def test_prometheus_source_config_is_validated(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/dashboards/data-sources",
        json={"uid": "p", "name": "P", "kind": "prometheus",
              "config": {"url": "http://127.0.0.1:9090", "timeout_seconds": 0}},
        headers=admin_headers,
    )  # fmt: skip
    assert_error(response, 422)
