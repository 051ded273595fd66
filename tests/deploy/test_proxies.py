"""WakeDock behind each shipped proxy configuration (deploy/nginx, deploy/caddy), end to end
over TLS: the UI loads, REST works, the body limit matches WakeDock's, a WebSocket gets live
notifications and resumes after a drop with no gap, SSE arrives unbuffered, and the login
throttle and audit log see the client's address, not the proxy's."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
import websockets

from tests.conftest import ADMIN_PASSWORD
from tests.deploy.conftest import CADDYFILE, MAX_PER_IP, NGINX_CONF, Proxy
from tests.realtime.conftest import Api, Server, admin, new_user
from wakedock.settings import Settings

pytestmark = pytest.mark.slow


def via(proxy: Proxy, api: Api) -> Api:
    """The same user's handle, talking through the proxy."""
    return Api(proxy.http, api.token, api.user_id, api.username, api.password, api.refresh_token)


def notify(proxy: Proxy, api: Api, title: str) -> dict[str, Any]:
    with proxy.client() as http:
        response = http.post("/api/notifications", json={"title": title}, headers=api.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_ui_rest_and_body_limit(proxy: Proxy, backend: Server) -> None:
    with proxy.client() as http:
        index = http.get("/")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert '<div id="root">' in index.text or "<script" in index.text
        assert index.headers["strict-transport-security"] == "max-age=31536000"

        login = http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = http.post("/api/notifications", json={"title": "via proxy"}, headers=headers)
        assert created.status_code == 201, created.text
        listed = http.get("/api/notifications?limit=1", headers=headers).json()
        assert listed["items"][0]["id"] == created.json()["id"]

        # The proxy's body limit equals WakeDock's: a body of exactly the limit reaches
        # WakeDock (its own JSON answer), one byte more is refused.
        limit = Settings().max_request_bytes
        head = b'{"title": "big", "message": "'
        body = head + b"x" * (limit - len(head) - 2) + b'"}'
        assert len(body) == limit
        json_headers = {**headers, "Content-Type": "application/json"}
        at_limit = http.post("/api/notifications", content=body, headers=json_headers)
        assert at_limit.status_code == 422, at_limit.text[:300]
        assert at_limit.json()["error"]["code"]
        before = http.get("/api/notifications?limit=1", headers=headers).json()["items"]
        over = http.post("/api/notifications", content=body + b" ", headers=json_headers)
        # Caddy 2.6 answers 413 when its limit trips before it proxies, and 502 when it trips
        # while the body streams upstream (seen in 2 of 6 runs): refused by the proxy either way.
        refused = {413, 502} if proxy.name == "caddy" else {413}
        assert over.status_code in refused, (over.status_code, over.text[:300])
        after = http.get("/api/notifications?limit=1", headers=headers).json()["items"]
        assert after == before  # nothing reached WakeDock's store


async def test_websocket_live_and_resume_after_a_drop(proxy: Proxy, backend: Server) -> None:
    user = new_user(backend.http)
    url = f"{proxy.ws}/ws/notifications/{user.user_id}?token={user.token}"
    context = proxy.tls.context()
    async with websockets.connect(url, ssl=context, open_timeout=5) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        first = await asyncio.to_thread(notify, proxy, user, "live")
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["type"] == "notification"
        assert message["notification"]["id"] == first["id"]
    # Dropped: what is created meanwhile comes with the resume, then live goes on.
    missed = [(await asyncio.to_thread(notify, proxy, user, f"missed {n}"))["id"] for n in (1, 2)]
    async with websockets.connect(f"{url}&since={first['id']}", ssl=context, open_timeout=5) as ws:
        got: list[int] = []
        live: dict[str, Any] | None = None
        while len(got) < 3:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] == "hello":
                live = await asyncio.to_thread(notify, proxy, user, "after resume")
            elif message["type"] == "notification":
                got.append(message["notification"]["id"])
        assert live is not None
        assert got == [*missed, live["id"]]


async def test_sse_events_arrive_unbuffered(proxy: Proxy, backend: Server) -> None:
    user = new_user(backend.http)
    arrivals: dict[int, float] = {}
    hello = asyncio.Event()

    async def read() -> None:
        async with (
            proxy.async_client() as http,
            http.stream("GET", "/api/notifications/stream", headers=user.headers) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            event = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                    hello.set() if event == "hello" else None
                elif line.startswith("data: ") and event == "notification":
                    arrivals[json.loads(line[6:])["notification"]["id"]] = time.monotonic()

    reader = asyncio.create_task(read())
    try:
        await asyncio.wait_for(hello.wait(), 5)
        for n in range(3):
            sent = time.monotonic()
            created = await asyncio.to_thread(notify, proxy, user, f"sse {n}")
            deadline = sent + 5
            while created["id"] not in arrivals:
                assert time.monotonic() < deadline, f"event {n} held back by the proxy"
                await asyncio.sleep(0.01)  # awaiting the reader's record
            delay = arrivals[created["id"]] - sent
            assert delay < 1.0, f"event {n} took {delay:.2f}s through {proxy.name}"
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


def test_login_throttle_and_audit_see_the_client_not_the_proxy(
    proxy: Proxy, backend: Server
) -> None:
    attacker, bystander = proxy.clients
    spoofed = {"X-Forwarded-For": "198.51.100.66"}  # the proxy must not pass this on
    wrong = {"username": "admin", "password": "wrong"}
    with proxy.client(attacker) as http:
        for _ in range(MAX_PER_IP):
            assert http.post("/api/auth/login", json=wrong, headers=spoofed).status_code == 401
        right = {"username": "admin", "password": ADMIN_PASSWORD}
        assert http.post("/api/auth/login", json=right, headers=spoofed).status_code == 429
    with proxy.client(bystander) as http:  # same proxy, another client: not throttled
        assert http.post("/api/auth/login", json=right).status_code == 200
    page = admin(backend.http).get("/api/audit?action=auth.login&limit=100").json()
    ips = [event["ip"] for event in page["items"]]
    assert ips.count(attacker) == MAX_PER_IP  # the refused one is not a login attempt
    assert bystander in ips
    assert "198.51.100.66" not in ips


def test_idle_timeouts_outlast_the_longest_heartbeat() -> None:
    """A stream carries traffic every heartbeat (at most the setting's bound): the proxies'
    idle timeouts must be longer, or they would cut live streams."""
    longest = Settings.model_fields["heartbeat_interval_seconds"].metadata
    bound = next(m.le for m in longest if getattr(m, "le", None) is not None)
    timeouts = re.findall(r"proxy_(?:read|send)_timeout (\d+)s;", NGINX_CONF.read_text())
    assert len(timeouts) == 2
    assert all(int(t) > bound for t in timeouts)
    assert "timeouts" not in re.sub(r"#.*", "", CADDYFILE.read_text())  # no cut-off set
    assert "flush_interval -1" in CADDYFILE.read_text()
