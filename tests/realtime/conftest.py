"""Real server processes for real-time tests, and a small WebSocket client helper."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.conftest import ADMIN_PASSWORD, free_port

WS_TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parents[2]
# ``wakedock serve``, hashing at the cheapest Argon2id cost (tests/cheap_hash_wakedock.py).
SERVE = [sys.executable, "-m", "tests.cheap_hash_wakedock", "serve"]


@dataclass
class Server:
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Server:
        assert self.log is not None
        with self.log.open("ab") as handle:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [*SERVE, "--port", str(self.port)],
                cwd=ROOT,  # where ``-m tests.…`` is found
                env=self.env,
                stdout=handle,
                stderr=handle,
            )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.http}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def server_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env.update(
        {
            "WAKEDOCK_DATA_DIR": str(tmp / "data"),
            "WAKEDOCK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WAKEDOCK_ADMIN_EMAIL": "admin@example.com",
            "WAKEDOCK_SECRET_KEY": "realtime-tests-shared-secret-key-0123456789",
            "WAKEDOCK_HEARTBEAT_INTERVAL_SECONDS": "5",
            "WAKEDOCK_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the modules here that only need one: each test makes its own users and
    checks its own before/after, and a start costs seconds (imports, migrations, traced under
    coverage). Tests that need a setting, a restart or a kill start their own."""
    tmp = tmp_path_factory.mktemp("rt")
    srv = Server(port=free_port(), env=server_env(tmp), log=tmp / "server.log").start()
    try:
        yield srv
    finally:
        srv.stop()


@dataclass
class Api:
    base: str
    token: str
    user_id: int
    username: str
    password: str = ""
    refresh_token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path: str, json_body: Any = None) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=json_body, headers=self.headers, timeout=10)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=10)

    def patch(self, path: str, json_body: Any) -> httpx.Response:
        return httpx.patch(f"{self.base}{path}", json=json_body, headers=self.headers, timeout=10)

    def notify(self, title: str, **body: Any) -> dict[str, Any]:
        response = self.post("/api/notifications", {"title": title, **body})
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data


_counter = iter(range(1, 100_000))


def login(base: str, username: str, password: str) -> Api:
    tokens = httpx.post(
        f"{base}/api/auth/login", json={"username": username, "password": password}
    ).json()
    me = httpx.get(
        f"{base}/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    return Api(base, tokens["access_token"], me["id"], username, password, tokens["refresh_token"])


def admin(base: str) -> Api:
    return login(base, "admin", ADMIN_PASSWORD)


def new_user(base: str, role: str = "user") -> Api:
    name = f"rt{os.getpid()}x{next(_counter)}x{int(time.time() * 1000) % 100000}"
    created = admin(base).post(
        "/api/users",
        {
            "username": name,
            "email": f"{name}@example.com",
            "password": f"{name}-pw",
            "roles": [role],
        },
    )
    assert created.status_code == 201, created.text
    return login(base, name, f"{name}-pw")


@dataclass
class Socket:
    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)

    async def next(self, kind: str | None = None, timeout: float = WS_TIMEOUT) -> dict[str, Any]:
        """The next message (of ``kind``, skipping others)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no {kind or 'message'} within {timeout}s; got {self.received[-5:]}"
                )
            message = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
            self.received.append(message)
            if kind is None or message["type"] == kind:
                return message

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Everything that arrives within ``seconds``."""
        got = []
        try:
            while True:
                got.append(json.loads(await asyncio.wait_for(self.ws.recv(), seconds)))
        except TimeoutError:
            return got

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))


async def connect(
    server_ws: str, api: Api, user_id: int | None = None, query: str = "", token: str | None = None
) -> Socket:
    url = f"{server_ws}/ws/notifications/{user_id or api.user_id}?token={token or api.token}{query}"
    return Socket(await websockets.connect(url, open_timeout=WS_TIMEOUT))


@pytest.fixture
async def sockets() -> AsyncIterator[list[Socket]]:
    opened: list[Socket] = []
    yield opened
    for sock in opened:
        await sock.ws.close()


def websocket_scope(user_id: int, query: str) -> dict[str, Any]:
    """The ASGI scope of ``/ws/notifications/{user_id}?{query}``, for in-process sockets."""
    path = f"/ws/notifications/{user_id}"
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": ("wakedock.test", 80),
        "client": ("203.0.113.7", 40000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"wakedock.test")],
        "subprotocols": [],
        "state": {},
    }
