"""Client addresses behind a reverse proxy (finding 19 of issue 17), against real servers.

``X-Forwarded-For`` was believed from loopback only, with no setting for a proxy elsewhere.
Now ``WAKEDOCK_TRUSTED_PROXIES`` lists the peers whose forwarding headers are believed: from
them, the client is the right-most address of the chain that is not a trusted proxy; from
anyone else the headers are ignored. Login throttling, the audit log, and the server's log
lines for REST, SSE and WebSocket requests all see that one resolved address.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from pydantic import ValidationError

from tests.conftest import ADMIN_PASSWORD, free_port
from tests.realtime.conftest import Api, Server, admin, server_env
from wakedock.settings import Settings

MAX_PER_IP = 3


def start(tmp: Path, **env: str) -> Server:
    extra = {
        "WAKEDOCK_LOG_LEVEL": "INFO",
        "WAKEDOCK_LOGIN_MAX_FAILURES_PER_IP": str(MAX_PER_IP),
        "WAKEDOCK_LOGIN_MAX_FAILURES_PER_USER": "1000",
        **env,
    }
    return Server(port=free_port(), env=server_env(tmp, **extra), log=tmp / "server.log").start()


@pytest.fixture
def trusting(tmp_path: Path) -> Iterator[Server]:
    """The default: a proxy on the same host (loopback) is believed."""
    srv = start(tmp_path)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(params=["10.9.9.9", ""], ids=["other-proxy", "none"])
def distrusting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """Loopback is not a trusted proxy: our requests' headers are a client's spoofing."""
    srv = start(tmp_path, WAKEDOCK_TRUSTED_PROXIES=request.param)
    try:
        yield srv
    finally:
        srv.stop()


def login(srv: Server, password: str, forwarded: str, username: str = "admin") -> httpx.Response:
    return httpx.post(
        f"{srv.http}/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": forwarded},
        timeout=10,
    )


def login_ips(api: Api) -> list[str]:
    """The addresses of the login audit events, oldest first."""
    page = api.get("/api/audit?action=auth.login&limit=100").json()
    return [event["ip"] for event in reversed(page["items"])]


def open_streams(srv: Server, api: Api, forwarded: str) -> None:
    """One SSE stream and one WebSocket, each sent with ``X-Forwarded-For: forwarded``."""
    headers = {"X-Forwarded-For": forwarded, "Authorization": f"Bearer {api.token}"}
    url = f"{srv.http}/api/notifications/stream"
    with httpx.stream("GET", url, headers=headers, timeout=5) as response:
        assert response.status_code == 200

    async def socket() -> None:
        url = f"{srv.ws}/ws/notifications/{api.user_id}?token={api.token}"
        async with websockets.connect(
            url, additional_headers={"X-Forwarded-For": forwarded}, open_timeout=5
        ) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"

    asyncio.run(socket())


def server_log(srv: Server) -> str:
    srv.stop()
    assert srv.log is not None
    return srv.log.read_text()


@pytest.mark.slow  # starts `wakedock serve`
def test_a_trusted_proxy_s_forwarded_client_is_the_one_throttled_and_audited(
    trusting: Server,
) -> None:
    assert login(trusting, ADMIN_PASSWORD, "198.51.100.7").status_code == 200
    # A chain: whatever the client claimed (left), the address our proxy saw, the proxy.
    assert login(trusting, ADMIN_PASSWORD, "6.6.6.6, 198.51.100.8, 127.0.0.1").status_code == 200
    # The per-address throttle counts the forwarded client, not the proxy all clients share.
    for _ in range(MAX_PER_IP):
        assert login(trusting, "wrong", "198.51.100.20").status_code == 401
    assert login(trusting, ADMIN_PASSWORD, "198.51.100.20").status_code == 429
    assert login(trusting, ADMIN_PASSWORD, "198.51.100.21").status_code == 200

    api = admin(trusting.http)  # no header: the peer itself
    assert login_ips(api) == [
        "198.51.100.7",
        "198.51.100.8",
        *["198.51.100.20"] * MAX_PER_IP,
        "198.51.100.21",
        "127.0.0.1",
    ]
    open_streams(trusting, api, "198.51.100.30")
    log = server_log(trusting)
    assert '198.51.100.30:0 - "GET /api/notifications/stream HTTP/1.1" 200' in log
    assert f'198.51.100.30:0 - "WebSocket /ws/notifications/{api.user_id}?token=***"' in log


@pytest.mark.slow  # starts `wakedock serve`
def test_forwarding_headers_from_anyone_else_are_ignored(distrusting: Server) -> None:
    api = admin(distrusting.http)
    assert login(distrusting, ADMIN_PASSWORD, "198.51.100.7").status_code == 200
    # Rotating spoofed addresses does not escape the per-address throttle.
    for n in range(MAX_PER_IP):
        assert login(distrusting, "wrong", f"198.51.100.{40 + n}").status_code == 401
    assert login(distrusting, ADMIN_PASSWORD, "198.51.100.99").status_code == 429
    assert login_ips(api) == ["127.0.0.1"] * (2 + MAX_PER_IP)

    open_streams(distrusting, api, "198.51.100.30")
    log = server_log(distrusting)
    assert "198.51.100.30" not in log
    assert re.search(r'127\.0\.0\.1:\d+ - "GET /api/notifications/stream HTTP/1.1" 200', log)
    assert re.search(rf'127\.0\.0\.1:\d+ - "WebSocket /ws/notifications/{api.user_id}\?', log)


def test_trusted_proxies_setting_takes_ips_and_networks_only() -> None:
    parsed = Settings(trusted_proxies="10.0.0.1/8, ::1 ,192.0.2.4/32")  # type: ignore[arg-type]
    assert parsed.trusted_proxies == ["10.0.0.0/8", "::1", "192.0.2.4"]
    assert Settings(trusted_proxies="").trusted_proxies == []  # type: ignore[arg-type]
    assert Settings().trusted_proxies == ["127.0.0.1", "::1"]
    for bad in ("proxy.internal", "*", "10.0.0.0/33"):
        with pytest.raises(ValidationError, match="not an IP address or network"):
            Settings(trusted_proxies=bad)  # type: ignore[arg-type]
