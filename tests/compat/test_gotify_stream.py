"""Gotify's ``/stream`` and a real Gotify sender (Apprise's ``gotify://``) against real
``wakedock serve`` processes: two of them sharing one database and Redis, so a message
published through one reaches a stream held by the other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apprise
import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.compat.gotify_helpers import basic, key
from tests.conftest import free_port, require_redis
from tests.realtime.conftest import Api, Server, new_user, server_env

pytestmark = [pytest.mark.slow, pytest.mark.redis]
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two servers on one SQLite database and one Redis (pub/sub only: nothing is stored)."""
    redis_url = require_redis()
    tmp: Path = tmp_path_factory.mktemp("gotify")
    env = server_env(tmp, WAKEDOCK_REDIS_URL=redis_url)
    a = Server(port=free_port(), env=env, log=tmp / "a.log").start()
    b = Server(port=free_port(), env=env, log=tmp / "b.log").start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def gotify_setup(
    server: Server, user: Api, *, app_name: str = "Sonarr"
) -> tuple[str, dict[str, Any]]:
    """A client token (basic auth, as the phone app logs in) and an application."""
    made = httpx.post(
        f"{server.http}/client", json={"name": "phone"}, headers=basic(user.username, user.password)
    )
    assert made.status_code == 200, made.text
    ctoken: str = made.json()["token"]
    app = httpx.post(f"{server.http}/application", json={"name": app_name}, headers=key(ctoken))
    assert app.status_code == 200, app.text
    return ctoken, app.json()


async def next_message(ws: websockets.ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    return message


async def test_stream_gets_messages_from_every_door_across_processes(
    pair: tuple[Server, Server],
) -> None:
    a, b = pair
    user = new_user(a.http)
    ctoken, app = gotify_setup(a, user)
    async with (
        websockets.connect(f"{b.ws}/stream?token={ctoken}", open_timeout=TIMEOUT) as on_b,
        websockets.connect(
            f"{a.ws}/stream", additional_headers=key(ctoken), open_timeout=TIMEOUT
        ) as on_a,
    ):
        # Published through A with the application's token: both streams get Gotify's JSON.
        sent = httpx.post(
            f"{a.http}/message",
            json={"message": "grabbed", "title": "Episode", "priority": 7},
            headers=key(app["token"]),
        ).json()
        for ws in (on_b, on_a):
            got = await next_message(ws)
            assert got == sent
            assert set(got) == {"id", "appid", "message", "title", "priority", "date"}
        # WakeDock's own API (through B) reaches the Gotify streams too.
        native = user.post("/api/notifications", {"title": "native", "priority": "urgent"})
        assert native.status_code == 201, native.text
        for ws in (on_b, on_a):
            got = await next_message(ws)
            assert got["id"] == native.json()["id"]
            assert got["appid"] == 0
            assert got["priority"] == 10

        # A real Gotify sender: Apprise's gotify:// plugin, through B.
        notifier = apprise.Apprise()
        assert notifier.add(f"gotify://127.0.0.1:{b.port}/{app['token']}?priority=high")
        ok = await asyncio.to_thread(notifier.notify, body="from apprise", title="Apprise")
        assert ok
        for ws in (on_b, on_a):
            got = await next_message(ws)
            assert got["message"] == "from apprise"
            assert got["title"] == "Apprise"
            assert got["appid"] == app["id"]

        # Deleting the client (through A) revokes its token: B's stream closes at once.
        client_id = httpx.get(f"{a.http}/client", headers=key(ctoken)).json()[0]["id"]
        assert httpx.delete(f"{a.http}/client/{client_id}", headers=key(ctoken)).status_code == 200
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(on_b.recv(), TIMEOUT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401


async def test_stream_refuses_bad_credentials_with_401(pair: tuple[Server, Server]) -> None:
    a, _ = pair
    user = new_user(a.http)
    _, app = gotify_setup(a, user, app_name="Radarr")
    for url, headers in (
        (f"{a.ws}/stream", {}),
        (f"{a.ws}/stream?token=wdk_nope", {}),
        (f"{a.ws}/stream?token={app['token']}", {}),  # an application does not read
        (f"{a.ws}/stream", basic(user.username, "wrong")),
    ):
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(url, additional_headers=headers, open_timeout=TIMEOUT):
                pass
        assert refused.value.response.status_code == 401
        body = json.loads(refused.value.response.body or b"{}")
        assert body["errorCode"] == 401
    # Basic auth opens one.
    async with websockets.connect(
        f"{a.ws}/stream", additional_headers=basic(user.username, user.password)
    ) as ws:
        sent = httpx.post(
            f"{a.http}/message", data={"message": "form"}, headers=key(app["token"])
        ).json()
        assert (await next_message(ws))["id"] == sent["id"]
