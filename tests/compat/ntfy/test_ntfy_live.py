"""The ntfy-compatible API over a real server on loopback (uvicorn), on SQLite and
PostgreSQL: the streams (JSON lines, SSE, raw, WebSocket) with ``open``, the backlog that
``since`` asks for, live messages and keepalives; Apprise's real ``ntfy://`` plugin publishing;
and a publish on one server reaching a subscriber of another through Redis."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
import websockets

from tests.conftest import ADMIN_PASSWORD, free_port, make_settings, require_redis
from wakedock.main import create_app

TIMEOUT = 10.0


@dataclass
class Live:
    base: str
    port: int
    admin: dict[str, str]


@contextlib.asynccontextmanager
async def serve(tmp: Path, database_url: str, **overrides: Any) -> AsyncIterator[Live]:
    settings = make_settings(tmp, database_url, ntfy_keepalive_seconds=0.5, **overrides)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            tokens = (
                await client.post(
                    f"{base}/api/auth/login",
                    json={"username": "admin", "password": ADMIN_PASSWORD},
                )
            ).json()
        yield Live(base, port, {"Authorization": f"Bearer {tokens['access_token']}"})
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def live(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    async with serve(tmp_path / "data", database_url) as server:
        yield server


async def make_user(live: Live, role: str) -> tuple[str, str, dict[str, str]]:
    name = f"{role}{secrets.token_hex(3)}"
    password = f"{name}-password"
    async with httpx.AsyncClient(base_url=live.base) as client:
        created = await client.post(
            "/api/users",
            json={"username": name, "email": f"{name}@example.com", "password": password,
                  "roles": [role]},
            headers=live.admin,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        tokens = (
            await client.post("/api/auth/login", json={"username": name, "password": password})
        ).json()
    return name, password, {"Authorization": f"Bearer {tokens['access_token']}"}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def lines(response: httpx.Response) -> AsyncIterator[str]:
    async for line in response.aiter_lines():
        yield line


async def test_json_stream_open_backlog_live_keepalive(live: Live) -> None:
    _, _, sender = await make_user(live, "operator")
    name, password, _ = await make_user(live, "user")
    topic = f"t{secrets.token_hex(4)}"
    async with httpx.AsyncClient(base_url=live.base, timeout=TIMEOUT) as client:
        await client.get(f"/{topic}/json?poll=1", headers={"Authorization": basic(name, password)})
        first = await client.post(f"/{topic}", content=b"before", headers=sender)
        assert first.status_code == 200
        url = f"/{topic}/json?since=all"
        async with client.stream(
            "GET", url, headers={"Authorization": basic(name, password)}
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/x-ndjson")
            stream = lines(response)
            async with asyncio.timeout(TIMEOUT):
                opened = orjson.loads(await anext(stream))
                assert (opened["event"], opened["topic"]) == ("open", topic)
                backlog = orjson.loads(await anext(stream))
                assert (backlog["event"], backlog["message"]) == ("message", "before")
                published = await client.post(
                    f"/{topic}", content=b"live!", headers={**sender, "Title": "Now"}
                )
                assert published.status_code == 200
                got = orjson.loads(await anext(stream))
                while got["event"] == "keepalive":
                    got = orjson.loads(await anext(stream))
                assert (got["message"], got["title"]) == ("live!", "Now")
                assert got["id"] != backlog["id"]
                keepalive = orjson.loads(await anext(stream))
                assert (keepalive["event"], keepalive["topic"]) == ("keepalive", topic)


async def test_sse_raw_and_filters(live: Live) -> None:
    _, _, sender = await make_user(live, "operator")
    _, _, reader = await make_user(live, "user")
    topic = f"t{secrets.token_hex(4)}"
    async with (
        httpx.AsyncClient(base_url=live.base, timeout=TIMEOUT) as client,
        client.stream("GET", f"/{topic}/sse?priority=5", headers=reader) as sse,
        client.stream("GET", f"/{topic}/raw", headers=reader) as raw,
    ):
        assert sse.headers["content-type"].startswith("text/event-stream")
        sse_lines, raw_lines = lines(sse), lines(raw)
        async with asyncio.timeout(TIMEOUT):
            assert await anext(sse_lines) == "event: open"
            for text, prio in (("low one", "1"), ("urgent\nline two", "5")):
                response = await client.post(
                    f"/{topic}", content=text.encode(), headers={**sender, "P": prio}
                )
                assert response.status_code == 200
            data: list[dict[str, Any]] = []
            ids: list[str] = []
            while not data:
                line = await anext(sse_lines)
                if line.startswith("id: "):
                    ids.append(line[4:])
                elif line.startswith("data: ") and ids:
                    data.append(orjson.loads(line[6:]))
            assert data[0]["message"] == "urgent\nline two"  # the filter left the first out
            assert data[0]["id"] == ids[0]
            texts = []
            while len(texts) < 2:
                line = await anext(raw_lines)
                if line:
                    texts.append(line)
            assert texts == ["low one", "urgent line two"]


async def test_websocket_stream_and_its_refusal(live: Live) -> None:
    _, _, sender = await make_user(live, "operator")
    name, password, _ = await make_user(live, "user")
    topic = f"t{secrets.token_hex(4)}"
    auth = base64.urlsafe_b64encode(basic(name, password).encode()).decode().rstrip("=")
    url = f"ws://127.0.0.1:{live.port}/{topic},other{topic[1:]}/ws?auth={auth}"
    async with websockets.connect(url) as ws, httpx.AsyncClient(base_url=live.base) as client:
        async with asyncio.timeout(TIMEOUT):
            opened = orjson.loads(await ws.recv())
            assert opened["event"] == "open"
            assert opened["topic"] == f"{topic},other{topic[1:]}"
            await client.post(f"/other{topic[1:]}", content=b"via ws", headers=sender)
            got = orjson.loads(await ws.recv())
            while got["event"] == "keepalive":
                got = orjson.loads(await ws.recv())
            assert (got["topic"], got["message"]) == (f"other{topic[1:]}", "via ws")
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://127.0.0.1:{live.port}/{topic}/ws"):
            pass
    assert refused.value.response.status_code == 401
    assert orjson.loads(refused.value.response.body)["code"] == 40101


async def test_apprise_ntfy_plugin_reaches_the_wakedock_stream(live: Live) -> None:
    """Apprise's own ``ntfy://`` URLs (basic auth, then a token) publish to the loopback
    server; each message reaches the subscriber's WakeDock stream as a notification."""
    apprise = pytest.importorskip("apprise")
    sender, sender_password, sender_headers = await make_user(live, "operator")
    _, _, reader = await make_user(live, "user")
    topic = f"t{secrets.token_hex(4)}"
    async with httpx.AsyncClient(base_url=live.base, timeout=TIMEOUT) as client:
        token = (
            await client.post(
                "/api/auth/api-tokens", json={"name": "apprise"}, headers=sender_headers
            )
        ).json()["token"]
        await client.get(f"/{topic}/json?poll=1", headers=reader)
        urls = [
            f"ntfy://{sender}:{sender_password}@127.0.0.1:{live.port}/{topic}?priority=high"
            "&tags=warning,backup&click=https://nas.example/",
            f"ntfy://{token}@127.0.0.1:{live.port}/{topic}?auth=token",
        ]
        async with client.stream("GET", "/api/notifications/stream", headers=reader) as events:
            stream = lines(events)
            async with asyncio.timeout(TIMEOUT):
                while not (await anext(stream)).startswith('data: {"type":"hello"'):
                    pass
                for index, url in enumerate(urls):
                    notifier = apprise.Apprise()
                    assert notifier.add(url), url
                    sent = await asyncio.to_thread(
                        notifier.notify, title=f"Backup {index}", body=f"done {index}"
                    )
                    assert sent, url
                    line = await anext(stream)
                    while not line.startswith("data: ") or '"notification"' not in line:
                        line = await anext(stream)
                    notification = orjson.loads(line[6:])["notification"]
                    assert notification["message"] == f"done {index}"
                    assert notification["topic"] == topic
                    assert notification["source"] == "ntfy"
        polled = [
            orjson.loads(line)
            for line in (
                await client.get(f"/{topic}/json?poll=1", headers=reader)
            ).text.splitlines()
            if line.startswith("{")
        ]
    first = polled[0]
    assert (first["title"], first["priority"]) == ("Backup 0", 4)
    assert sorted(first["tags"]) == ["backup", "warning"]  # Apprise sorts them
    assert first["click"] == "https://nas.example/"
    assert polled[1]["title"] == "Backup 1"


@pytest.mark.redis
async def test_publish_on_one_server_reaches_a_subscriber_of_another(
    tmp_path: Path, database_url: str
) -> None:
    redis_url = require_redis()
    async with (
        # One database and data dir (its secret key: a token of one is valid on the other).
        serve(tmp_path / "data", database_url, redis_url=redis_url) as one,
        serve(tmp_path / "data", database_url, redis_url=redis_url) as two,
    ):
        _, _, sender = await make_user(one, "operator")
        _, _, reader = await make_user(one, "user")
        topic = f"t{secrets.token_hex(4)}"
        async with (
            httpx.AsyncClient(base_url=two.base, timeout=TIMEOUT) as on_two,
            httpx.AsyncClient(base_url=one.base, timeout=TIMEOUT) as on_one,
            on_two.stream("GET", f"/{topic}/json", headers=reader) as response,
        ):
            stream = lines(response)
            async with asyncio.timeout(TIMEOUT):
                assert orjson.loads(await anext(stream))["event"] == "open"
                await on_one.post(f"/{topic}", content=b"across", headers=sender)
                got = orjson.loads(await anext(stream))
                while got["event"] == "keepalive":
                    got = orjson.loads(await anext(stream))
                assert got["message"] == "across"


async def test_delayed_message_survives_a_restart(tmp_path: Path, database_url: str) -> None:
    """Scheduled on a server that then stops; a new server's worker sends it when due to the
    subscriber's open stream. (Its time is moved to now in the database: nobody waits 10 s.)"""
    from sqlalchemy import update

    from wakedock.db.engine import create_engine
    from wakedock.notifications.models import ScheduledNotification

    topic = f"t{secrets.token_hex(4)}"
    async with serve(tmp_path / "data", database_url) as first:
        _, _, sender = await make_user(first, "operator")
        name, password, _ = await make_user(first, "user")
        async with httpx.AsyncClient(base_url=first.base, timeout=TIMEOUT) as client:
            await client.get(
                f"/{topic}/json?poll=1", headers={"Authorization": basic(name, password)}
            )
            response = await client.post(
                f"/{topic}", content=b"later", headers={**sender, "X-Delay": "1h"}
            )
            assert response.status_code == 200, response.text
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            moved = await connection.execute(
                update(ScheduledNotification).values(run_at=ScheduledNotification.created_at)
            )
            assert moved.rowcount == 1
    finally:
        await engine.dispose()
    async with (
        serve(tmp_path / "data", database_url, worker_enabled=True) as second,
        httpx.AsyncClient(base_url=second.base, timeout=TIMEOUT) as client,
        client.stream(
            "GET", f"/{topic}/json?since=all", headers={"Authorization": basic(name, password)}
        ) as response,
    ):
        stream = lines(response)
        async with asyncio.timeout(TIMEOUT):
            got = orjson.loads(await anext(stream))
            while got["event"] != "message":
                got = orjson.loads(await anext(stream))
            assert got["message"] == "later"
