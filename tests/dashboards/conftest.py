"""Dashboards fixtures: settings that let data sources reach loopback, a real JSON upstream."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from wakedock.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The upstream servers of these tests listen on 127.0.0.1: allow loopback targets through
    # the dashboards' own allow-list, with the deployment-wide guard switch left on.
    return make_settings(
        tmp_path / "data",
        database_url,
        dashboards_allowed_networks=["127.0.0.0/8"],
        allow_private_targets=False,
    )


@dataclass
class Route:
    body: Any
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None  # sent as-is instead of JSON


@dataclass
class Upstream:
    """A real HTTP server on 127.0.0.1 that serves JSON and counts the calls it gets."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    headers: list[dict[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream(base_url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                state.calls[path] += 1
                state.headers.append(dict(self.headers))
            route = state.routes.get(path)
            if route is None:
                self.send_response(404)
                self.end_headers()
                return
            if route.delay:
                time.sleep(route.delay)
            payload = route.raw if route.raw is not None else json.dumps(route.body).encode()
            self.send_response(route.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def create_layout(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "Main", **extra: Any
) -> dict[str, Any]:
    response = await client.post("/api/dashboards", json={"name": name, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def add_widget(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    layout_id: int,
    type: str,
    position: dict[str, int] | None = None,
    **body: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": type, **body}
    if position is not None:
        payload["position"] = position
    response = await client.post(
        f"/api/dashboards/{layout_id}/widgets", json=payload, headers=headers
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def create_source(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    uid: str,
    kind: str,
    url: str,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/dashboards/data-sources",
        json={"uid": uid, "name": uid.title(), "kind": kind, "config": {"url": url}, **extra},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
