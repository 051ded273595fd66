"""A real ``wakedock serve`` restarted (SIGTERM, then started again on the same data dir) under
a live WebSocket, an SSE stream, a client creating notifications and a broadcast in progress:
the socket is closed with 1012, the stream ends with 1012, the process exits within the
grace, the client resumes on the new process within seconds and has every notification
exactly once; the broadcast goes on from where it stopped (no lease to wait out)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import create_engine, insert, select

from tests.conftest import free_port
from tests.realtime.conftest import Api, Server, admin, new_user, server_env
from wakedock.auth.models import User, UserRole
from wakedock.auth.passwords import hash_password_sync
from wakedock.notifications.broadcast import fanout

# Two starts of a server: ~10 s on an idle machine, far more on a loaded CI runner.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
GRACE = 5
AUDIENCE = 10 * fanout.BATCH_SIZE  # many batches: the stop lands mid-broadcast


def _bulk_users(data_dir: Any, count: int) -> None:
    """Many users straight into the server's SQLite (creating them over the API hashes each
    password: minutes)."""
    engine = create_engine(f"sqlite:///{data_dir / 'wakedock.db'}")
    password_hash = hash_password_sync("irrelevant-password")
    with engine.begin() as db:
        db.execute(
            insert(User),
            [
                {
                    "username": f"bulk{i}",
                    "email": f"bulk{i}@example.com",
                    "password_hash": password_hash,
                    "is_active": True,
                    "timezone": "UTC",
                }
                for i in range(count)
            ],
        )
        ids = db.scalars(select(User.id).where(User.username.like("bulk%"))).all()
        db.execute(insert(UserRole), [{"user_id": uid, "role": "user"} for uid in ids])
    engine.dispose()


async def _broadcast(base: str, boss: Api) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, headers=boss.headers, timeout=10) as http:
        listed = (await http.get("/api/notifications/broadcasts")).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    found: dict[str, Any] = items[0]
    return found


async def _all_ids(base: str, api: Api) -> set[int]:
    ids: set[int] = set()
    query = "limit=100"
    async with httpx.AsyncClient(base_url=base, headers=api.headers, timeout=10) as http:
        while True:
            page = (await http.get(f"/api/notifications?{query}")).json()
            ids.update(n["id"] for n in page["items"])
            if not page["next_cursor"]:
                return ids
            query = f"limit=100&cursor={page['next_cursor']}"


async def _sse_end(base: str, api: Api, ended: asyncio.Future[dict[str, Any]]) -> None:
    """Read the SSE stream until its ``close`` event."""
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("GET", f"{base}/api/notifications/stream", headers=api.headers) as response,
    ):
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "close":
                ended.set_result(json.loads(line[6:]))
                return
        ended.set_exception(AssertionError("the stream ended without a close event"))


async def test_restart_under_load_loses_nothing_and_duplicates_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("restart")
    env = server_env(tmp, WAKEDOCK_SHUTDOWN_GRACE_SECONDS=str(GRACE))
    srv = Server(port=free_port(), env=env, log=tmp / "server.log").start()
    try:
        await _scenario(srv, tmp)
    finally:
        srv.stop()


async def _scenario(srv: Server, tmp: Any) -> None:
    boss = admin(srv.http)
    user = new_user(srv.http)
    _bulk_users(tmp / "data", AUDIENCE - 1)
    url = f"{srv.ws}/ws/notifications/{user.user_id}?token={user.token}"
    ws = await websockets.connect(url, open_timeout=5)
    assert json.loads(await ws.recv())["type"] == "hello"
    sse_ended: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    sse = asyncio.create_task(_sse_end(srv.http, user, sse_ended))

    created: list[int] = []  # ids the server answered 201 for
    sending = True

    async def sender() -> None:
        """A script creating notifications all along; a create the server refused while
        down (connection refused) is sent again."""
        number = 0
        async with httpx.AsyncClient(base_url=srv.http, headers=user.headers, timeout=10) as http:
            while sending:
                try:
                    response = await http.post("/api/notifications", json={"title": f"n{number}"})
                except httpx.TransportError:
                    await asyncio.sleep(0.05)  # pacing a retry to a server that is down
                    continue
                if response.status_code == 201:
                    created.append(response.json()["id"])
                    number += 1
                await asyncio.sleep(0.02)  # pacing: ~40 creates a second

    received: list[int] = []

    async def reader(socket: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "notification":
                    received.append(message["notification"]["id"])

    script = asyncio.create_task(sender())
    read = asyncio.create_task(reader(ws))
    while len(created) < 5:
        await asyncio.sleep(0.05)  # awaiting a condition: the sender's progress
    async with httpx.AsyncClient(base_url=srv.http, headers=boss.headers, timeout=10) as http:
        accepted = await http.post(
            "/api/notifications/broadcast",
            json={"title": "maintenance", "target": {"roles": ["user"]}},
        )
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 30
    while (await _broadcast(srv.http, boss))["delivered"] == 0:  # the fan-out has begun
        assert time.monotonic() < deadline, "the broadcast never started"
        await asyncio.sleep(0.02)  # pacing the polls

    assert srv.proc is not None
    at_signal = (await _broadcast(srv.http, boss))["delivered"]
    srv.proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    await asyncio.wait({read}, timeout=5)
    assert read.done(), "the socket was not closed"
    assert ws.close_code == 1012, (ws.close_code, ws.close_reason)
    assert (await asyncio.wait_for(sse_ended, 5))["code"] == 1012
    await sse
    exit_code = await asyncio.to_thread(srv.proc.wait, GRACE + 5)
    stopped_in = time.monotonic() - signalled
    assert stopped_in < GRACE + 2, stopped_in
    # Uvicorn ends by raising the signal again once it is done: a clean stop for systemd too.
    assert exit_code in (0, -signal.SIGTERM), exit_code
    assert srv.log is not None
    log = srv.log.read_text()
    assert "graceful shutdown exceeded" not in log, log[-3000:]

    started = time.monotonic()
    restart = asyncio.create_task(asyncio.to_thread(srv.start))
    # The client, as the web UI does: reconnect with since = the last id seen until it works.
    socket = None
    while socket is None:
        since = max(received) if received else 0
        try:
            socket = await websockets.connect(
                f"{url}&since={since}" if received else url, open_timeout=5
            )
        except (OSError, TimeoutError, websockets.WebSocketException):
            assert time.monotonic() - started < 40, "the server did not come back"
            await asyncio.sleep(0.1)  # pacing reconnects, like the client's backoff
    back_in = time.monotonic() - started
    await restart
    up_in = time.monotonic() - started
    assert json.loads(await socket.recv())["type"] == "hello"
    read = asyncio.create_task(reader(socket))
    after = len(created)
    while len(created) < after + 5:  # creates keep working on the new process
        await asyncio.sleep(0.05)
    sending = False
    await script

    deadline = time.monotonic() + 60
    while (done := await _broadcast(srv.http, boss))["status"] != "completed":
        assert time.monotonic() < deadline, done
        await asyncio.sleep(0.1)
    assert done["delivered"] == AUDIENCE
    stored = await _all_ids(srv.http, user)
    assert set(created) <= stored
    deadline = time.monotonic() + 10
    while set(received) != stored:
        assert time.monotonic() < deadline, (sorted(stored - set(received)), len(received))
        await asyncio.sleep(0.05)
    assert len(received) == len(set(received)), "a notification arrived twice"
    assert len(stored) == len(created) + 1  # the broadcast's one, exactly once
    await socket.close()
    await asyncio.wait({read}, timeout=5)
    print(
        f"stopped in {stopped_in:.2f}s; process up in {up_in:.2f}s, client back in {back_in:.2f}s;"
        f" {len(created)} creates; broadcast at {at_signal}/{AUDIENCE} when signalled"
    )
