"""The real thing: Debian's Prometheus evaluates an alerting rule on a metric it scrapes and
sends the alert to Debian's Alertmanager, whose webhook receiver points at a real ``wakedock
serve`` with an integration's bearer token, all on loopback. The alert reaches the admin's
socket as a notification; once the metric drops, the resolved notification replaces it (a
``notification.deleted`` of the firing one, then the new one). Scrape, evaluation, group_wait
and group_interval are a second or less, so this takes seconds."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class Exporter:
    """A metrics endpoint on loopback whose one gauge the test sets: what Prometheus alerts on."""

    def __init__(self) -> None:
        self.disk_used = 0.5
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = f'disk_used_ratio{{host="web-1"}} {exporter.disk_used}\n'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _prometheus(root: Path, exporter_port: int, alertmanager: str) -> subprocess.Popen[bytes]:
    binary = shutil.which("prometheus")
    if binary is None:
        skip_or_fail("Prometheus is not installed (apt-get install prometheus)")
    assert binary is not None
    (root / "rules.yml").write_text(
        "groups:\n"
        "  - name: disks\n"
        "    rules:\n"
        "      - alert: DiskFull\n"
        "        expr: disk_used_ratio > 0.9\n"
        "        labels:\n"
        "          severity: critical\n"
        "        annotations:\n"
        "          summary: 'Disk almost full on {{ $labels.host }}'\n"
        "          description: '{{ $value | humanizePercentage }} used'\n"
    )
    config = root / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: ['{root / 'rules.yml'}']\n"
        "alerting:\n  alertmanagers:\n    - static_configs:\n"
        f"        - targets: ['{alertmanager.removeprefix('http://')}']\n"
        "scrape_configs:\n  - job_name: disks\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
    with (root / "prometheus.log").open("ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{free_port()}",
                "--web.external-url=http://prometheus.example",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=log,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def test_a_prometheus_rule_fires_and_resolves_through_alertmanager(
    wakedock: Server, tmp_path: Path
) -> None:
    api = admin(wakedock.http)
    made = api.post(
        "/api/integrations",
        {"kind": "alertmanager", "name": "prod", "target": {"roles": ["admin"]}},
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    exporter = Exporter()
    am, am_base = _alertmanager(tmp_path, f"{wakedock.http}/api/integrations/alertmanager", token)
    prometheus = _prometheus(tmp_path, exporter.port, am_base)
    try:
        socket = await connect(wakedock.ws, api)
        await socket.next("hello")
        exporter.disk_used = 0.97  # the next scrape, then the next evaluation, fires the rule

        firing = (await socket.next("notification", timeout=30))["notification"]
        assert firing["title"] == "Disk almost full on web-1"
        assert firing["message"] == "97% used"
        assert firing["priority"] == "urgent"
        assert firing["type"] == "monitoring"
        assert firing["action_url"].startswith("http://prometheus.example/graph?g0.expr=")

        exporter.disk_used = 0.5  # the rule stops firing: Prometheus sends it resolved
        deleted = await socket.next("notification.deleted", timeout=30)
        assert deleted["id"] == firing["id"]
        resolved = (await socket.next("notification", timeout=5))["notification"]
        assert resolved["title"] == "Resolved: Disk almost full on web-1"
        assert resolved["group_key"] == firing["group_key"]
        listed = api.get("/api/notifications").json()["items"]
        assert [n["id"] for n in listed] == [resolved["id"]]
        await socket.ws.close()
    finally:
        _stop(prometheus)
        _stop(am)
        exporter.close()
