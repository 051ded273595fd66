"""Tokens never reach the log of a real ``wakedock serve`` (finding 14 of issue 17).

Browsers cannot set headers on a WebSocket or an EventSource, so sockets and SSE streams carry
their token as ``?token=``. Uvicorn's access log wrote those URLs at INFO: every access token
and long-lived ``wdk_`` API token that opened a stream ended up in the log.
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

from tests.conftest import free_port
from tests.realtime.conftest import Server, admin, server_env

pytestmark = pytest.mark.slow  # starts `wakedock serve` processes


@pytest.fixture(params=["text", "json"])
def info_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    env = server_env(tmp_path, WAKEDOCK_LOG_LEVEL="INFO", WAKEDOCK_LOG_FORMAT=request.param)
    srv = Server(port=free_port(), env=env, log=tmp_path / "server.log").start()
    try:
        yield srv
    finally:
        srv.stop()


def test_stream_and_socket_tokens_are_redacted_from_the_access_log(info_server: Server) -> None:
    api = admin(info_server.http)
    created = api.post("/api/auth/api-tokens", {"name": "logs", "scopes": ["notifications:read"]})
    assert created.status_code == 201, created.text
    api_token = created.json()["token"]
    assert api_token.startswith("wdk_")

    # SSE with each kind of token in the URL (the stream answers 200, then we hang up).
    for token in (api.token, api_token):
        url = f"{info_server.http}/api/notifications/stream?since=0&token={token}"
        with httpx.stream("GET", url, timeout=5) as response:
            assert response.status_code == 200
    # A REST call with the token as access_token= (not a WakeDock parameter; still redacted).
    health = httpx.get(
        f"{info_server.http}/api/health?access_token={api_token}",
        headers={"X-Request-ID": "trace-log-1"},
    )
    assert health.status_code == 200
    assert health.headers["x-request-id"] == "trace-log-1"

    async def sockets() -> None:
        for token in (api.token, api_token):
            url = f"{info_server.ws}/ws/notifications/{api.user_id}?token={token}"
            async with websockets.connect(url, open_timeout=5) as ws:
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"

    asyncio.run(sockets())
    info_server.stop()
    assert info_server.log is not None
    log = info_server.log.read_text()

    for secret in (api.token, api_token, api.password):
        assert secret not in log
    # The requests are still logged, with the parameter's value masked.
    assert log.count("/api/notifications/stream?since=0&token=***") == 2
    assert log.count(f"/ws/notifications/{api.user_id}?token=***") == 2
    assert "/api/health?access_token=***" in log
    # Every access line names its request (the id given, or a generated one).
    access = [line for line in log.splitlines() if "HTTP/1.1" in line]
    assert access
    assert all(re.search(r"[0-9a-f]{32}|trace-log-1", line) for line in access), access
    assert any("trace-log-1" in line and "/api/health" in line for line in access)
