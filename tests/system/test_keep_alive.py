"""After a refused request the keep-alive connection still serves (issue 17, finding 9).

Each 500 of the hostile inputs also reset the client's connection. Against a real
``wakedock serve`` on loopback (the gateway included), one HTTP/1.1 connection sends each bad
request then a good one, and must be the same connection throughout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, free_port
from tests.realtime.conftest import Server, server_env

pytestmark = pytest.mark.slow  # starts `wakedock serve` processes


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("keepalive")
    srv = Server(port=free_port(), env=server_env(tmp), log=tmp / "server.log").start()
    try:
        yield srv
    finally:
        srv.stop()


BAD = [
    ("GET", f"/api/notifications/{2**63}", None, {}),
    ("GET", f"/api/audit?actor_id={2**63}", None, {}),
    ("GET", "/api/notifications?cursor=eyJpZCI6IngifQ", None, {}),
    ("GET", "/api/notifications?until=0001-01-01T00:00:00%2B23:00", None, {}),
    ("POST", "/api/notifications", b'{"title":"a\\u0000"}', {"Content-Type": "application/json"}),
    ("POST", "/api/notifications", b'{"title":"t","user_ids":[9223372036854775808]}', {}),
    (
        "POST",
        "/api/notifications",
        b'{"title":"t","data":' + b'{"a":' * 300 + b"1" + b"}" * 301,
        {},
    ),
    ("POST", "/api/auth/login", b'{"username":"a\\u0000","password":"x"}', {}),
    ("PATCH", "/api/notifications/1", None, {}),
]


def test_the_connection_survives_every_refusal(served: Server) -> None:
    ports: set[int] = set()

    def remember(response: httpx.Response) -> None:
        stream = response.extensions["network_stream"]
        ports.add(stream.get_extra_info("client_addr")[1])

    with httpx.Client(base_url=served.http, timeout=10, event_hooks={"response": [remember]}) as c:
        token = c.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for method, url, content, headers in BAD:
            bad = c.request(
                method,
                url,
                content=content,
                headers={"Content-Type": "application/json", **auth, **headers},
            )
            assert 400 <= bad.status_code < 500, (url, bad.status_code, bad.text)
            assert set(bad.json()) == {"error"}
            assert bad.headers.get("connection", "").lower() != "close", url
            good = c.get("/api/notifications", headers=auth)
            assert good.status_code == 200, good.text
    assert len(ports) == 1, ports
