"""Each fast path of `wakedock serve` is in use (its counter grows), so an upgrade of Uvicorn
or aiosqlite that silently disables one fails here instead of only slowing the service."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.realtime.conftest import Server, Socket, admin, connect, new_user

pytestmark = pytest.mark.slow  # starts `wakedock serve`


def uses(server: Server) -> dict[str, float]:
    text = httpx.get(f"{server.http}/metrics", timeout=5).text
    found = re.findall(r'^wakedock_fast_path_uses_total\{path="(\w+)"\} (\S+)$', text, re.M)
    return {path: float(count) for path, count in found}


async def test_a_create_and_its_live_push_take_every_fast_path(
    server: Server, sockets: list[Socket]
) -> None:
    before = uses(server)
    assert set(before) == {
        "gateway_create",
        "gateway_broadcast",
        "socket_direct_write",
        "sqlite_one_trip",
        "gateway_gotify_publish",
        "gateway_ntfy_publish",
    }
    user = new_user(server.http)
    sockets.append(socket := await connect(server.ws, user))
    await socket.next("hello")
    created = user.notify("fast paths")
    assert (await socket.next("notification"))["notification"]["id"] == created["id"]
    after = uses(server)
    assert after["gateway_create"] == before["gateway_create"] + 1
    assert after["socket_direct_write"] > before["socket_direct_write"]
    assert after["sqlite_one_trip"] > before["sqlite_one_trip"]


async def test_gotify_and_ntfy_publishes_take_the_gateway_path(
    server: Server, sockets: list[Socket]
) -> None:
    user = new_user(server.http, role="operator")  # may publish to a topic
    sockets.append(socket := await connect(server.ws, user))
    await socket.next("hello")
    app = user.post("/api/compat/gotify/applications", {"name": "fast", "default_priority": 5})
    assert app.status_code in (200, 201), app.text
    ntfy = user.post("/api/compat/ntfy/tokens", {"name": "fast"})
    assert ntfy.status_code in (200, 201), ntfy.text
    bearer = {"Authorization": f"Bearer {ntfy.json()['token']}"}
    polled = httpx.get(f"{server.http}/fastpaths/json?poll=1", headers=bearer, timeout=10)
    assert polled.status_code == 200, polled.text  # subscribes the user to the topic
    before = uses(server)

    gotify = httpx.post(
        f"{server.http}/message",
        json={"message": "via gotify"},
        headers={"X-Gotify-Key": app.json()["token"]},
        timeout=10,
    )
    assert gotify.status_code == 200, gotify.text
    assert (await socket.next("notification"))["notification"]["message"] == "via gotify"
    published = httpx.post(f"{server.http}/fastpaths", content=b"via ntfy", headers=bearer)
    assert published.status_code == 200, published.text
    assert (await socket.next("notification"))["notification"]["message"] == "via ntfy"

    after = uses(server)
    assert after["gateway_gotify_publish"] == before["gateway_gotify_publish"] + 1
    assert after["gateway_ntfy_publish"] == before["gateway_ntfy_publish"] + 1


async def test_a_broadcast_takes_the_gateway_path(server: Server, sockets: list[Socket]) -> None:
    before = uses(server)
    user = new_user(server.http)
    sockets.append(socket := await connect(server.ws, user))
    await socket.next("hello")
    sent = admin(server.http).post(
        "/api/notifications/broadcast",
        {"title": "to everyone", "target": {"user_ids": [user.user_id]}},
    )
    assert sent.status_code == 202, sent.text
    assert (await socket.next("notification"))["notification"]["title"] == "to everyone"
    assert uses(server)["gateway_broadcast"] == before["gateway_broadcast"] + 1
