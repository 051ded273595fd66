"""The real thing: Debian's Alertmanager, configured with a webhook receiver pointing at a
real ``wakedock serve`` with an integration's bearer token, both on loopback. An alert posted
to Alertmanager's API reaches the admin's socket as a notification; once resolved, the
resolved notification replaces it (a ``notification.deleted`` of the firing one, then the new
one). group_wait and group_interval are a second or less, so this takes a few seconds."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, skip_or_fail
from tests.realtime.conftest import Server, admin, connect, server_env

pytestmark = pytest.mark.slow


@pytest.fixture
def wakedock(tmp_path: Path) -> Iterator[Server]:
    srv = Server(port=free_port(), env=server_env(tmp_path), log=tmp_path / "server.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _alertmanager(root: Path, webhook: str, token: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        skip_or_fail("Alertmanager is not installed (apt-get install prometheus-alertmanager)")
    assert binary is not None
    config = root / "alertmanager.yml"
    config.write_text(
        "route:\n"
        "  receiver: wakedock\n"
        "  group_by: ['alertname']\n"
        "  group_wait: 100ms\n"
        "  group_interval: 1s\n"
        "  repeat_interval: 1h\n"
        "receivers:\n"
        "  - name: wakedock\n"
        "    webhook_configs:\n"
        f"      - url: '{webhook}'\n"
        "        send_resolved: true\n"
        "        http_config:\n"
        "          authorization:\n"
        "            type: Bearer\n"
        f"            credentials: '{token}'\n"
    )
    port = free_port()
    with (root / "alertmanager.log").open("ab") as log:  # the child keeps its own copy
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={root / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError((root / "alertmanager.log").read_text()[-2000:])
        try:
            if httpx.get(f"{base}/-/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("Alertmanager did not become ready")


async def test_alert_fires_and_resolves_through_alertmanager(
    wakedock: Server, tmp_path: Path
) -> None:
    api = admin(wakedock.http)
    made = api.post(
        "/api/integrations",
        {"kind": "alertmanager", "name": "prod", "target": {"roles": ["admin"]}},
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    am, am_base = _alertmanager(tmp_path, f"{wakedock.http}/api/integrations/alertmanager", token)
    try:
        socket = await connect(wakedock.ws, api)
        await socket.next("hello")
        alert = {
            "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "web-1"},
            "annotations": {"summary": "Disk almost full on web-1", "description": "97%"},
            "generatorURL": "http://prometheus.example/graph?g0.expr=disk",
        }
        posted = httpx.post(f"{am_base}/api/v2/alerts", json=[alert], timeout=5)
        assert posted.status_code == 200, posted.text

        firing = (await socket.next("notification", timeout=20))["notification"]
        assert firing["title"] == "Disk almost full on web-1"
        assert firing["priority"] == "urgent"
        assert firing["type"] == "monitoring"
        assert firing["action_url"] == "http://prometheus.example/graph?g0.expr=disk"

        ended = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        posted = httpx.post(
            f"{am_base}/api/v2/alerts", json=[{**alert, "endsAt": ended}], timeout=5
        )
        assert posted.status_code == 200, posted.text
        deleted = await socket.next("notification.deleted", timeout=20)
        assert deleted["id"] == firing["id"]
        resolved = (await socket.next("notification", timeout=5))["notification"]
        assert resolved["title"] == "Resolved: Disk almost full on web-1"
        assert resolved["group_key"] == firing["group_key"]
        listed = api.get("/api/notifications").json()["items"]
        assert [n["id"] for n in listed] == [resolved["id"]]
        await socket.ws.close()
    finally:
        am.terminate()
        try:
            am.wait(10)
        except subprocess.TimeoutExpired:
            am.kill()
            am.wait()
