"""The WebSocket protocol against a real `wakedock serve` process."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.realtime.conftest import Api, Server, Socket, admin, connect, new_user

pytestmark = pytest.mark.slow  # starts `wakedock serve` processes


async def close_code(
    server: Server,
    path: str,
    first: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    async with websockets.connect(f"{server.ws}{path}", additional_headers=headers or {}) as ws:
        if first is not None:
            await ws.send(json.dumps(first))
        with pytest.raises(ConnectionClosed) as info:
            await drain(ws)
        assert info.value.rcvd is not None
        return info.value.rcvd.code


async def drain(ws: websockets.ClientConnection) -> None:
    """Read until the server closes the connection (raises ConnectionClosed)."""
    while True:
        await asyncio.wait_for(ws.recv(), 10)


async def test_close_codes(server: Server) -> None:
    alice = new_user(server.http)
    bob = new_user(server.http)
    assert await close_code(server, f"/ws/notifications/{alice.user_id}?token=nope") == 4401
    assert await close_code(server, f"/ws/notifications/{alice.user_id}?token=wdk_nope") == 4401
    assert (
        await close_code(server, f"/ws/notifications/{alice.user_id}", first={"type": "ping"})
        == 4401
    )
    assert (
        await close_code(
            server, f"/ws/notifications/{alice.user_id}", first={"type": "auth", "token": "bad"}
        )
        == 4401
    )
    assert await close_code(server, f"/ws/notifications/{bob.user_id}?token={alice.token}") == 4403
    # A header works too, and an admin may watch another user.
    root = admin(server.http)
    async with websockets.connect(
        f"{server.ws}/ws/notifications/{bob.user_id}", additional_headers=root.headers
    ) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        assert hello["user_id"] == bob.user_id


async def test_hello_live_delivery_and_first_message_auth(
    server: Server, sockets: list[Socket]
) -> None:
    user = new_user(server.http)
    user.notify("before")
    async with websockets.connect(f"{server.ws}/ws/notifications/{user.user_id}") as raw:
        await raw.send(json.dumps({"type": "auth", "token": user.token}))
        sock = Socket(raw)
        hello = await sock.next()
        assert hello["type"] == "hello"
        assert hello["unread_count"] == 1
        assert hello["heartbeat_interval"] == 5
        assert hello["connection_id"]
        assert "server_time" in hello
        created = user.notify("live one", type="warning", data={"k": 1})
        event = await sock.next("notification")
        assert event["notification"] == created  # the REST shape, exactly


async def test_resume_returns_exactly_the_missed_ones_in_order(
    server: Server, sockets: list[Socket]
) -> None:
    user = new_user(server.http)
    seen = user.notify("seen")
    missed = [user.notify(f"missed {i}")["id"] for i in range(5)]
    sock = await connect(server.ws, user, query=f"&since={seen['id']}")
    sockets.append(sock)
    await sock.next("hello")
    replayed = [(await sock.next("notification"))["notification"]["id"] for _ in missed]
    assert replayed == missed
    live = user.notify("after")
    assert (await sock.next("notification"))["notification"]["id"] == live["id"]
    assert [m for m in await sock.quiet() if m["type"] == "notification"] == []

    # The same with a resume message, on an open connection.
    other = await connect(server.ws, user)
    sockets.append(other)
    await other.next("hello")
    await other.send({"type": "resume", "since": missed[2]})
    again = [(await other.next("notification"))["notification"]["id"] for _ in range(3)]
    assert again == [missed[3], missed[4], live["id"]]


async def test_a_caught_up_resume_replays_nothing_then_goes_live(
    server: Server, sockets: list[Socket]
) -> None:
    user = new_user(server.http)
    user.notify("older")
    newest = user.notify("newest")
    sock = await connect(server.ws, user, query=f"&since={newest['id']}")
    sockets.append(sock)
    assert (await sock.next("hello"))["unread_count"] == 2
    assert [m for m in await sock.quiet() if m["type"] == "notification"] == []
    live = user.notify("live")
    assert (await sock.next("notification"))["notification"]["id"] == live["id"]
    await sock.send({"type": "resume", "since": live["id"]})
    assert [m for m in await sock.quiet() if m["type"] == "notification"] == []
    after = user.notify("after")
    assert (await sock.next("notification"))["notification"]["id"] == after["id"]


async def test_resume_while_notifications_are_being_created(
    server: Server, sockets: list[Socket]
) -> None:
    user = new_user(server.http)
    first = user.notify("start")["id"]

    async def create_many() -> list[int]:
        ids = []
        for i in range(30):
            ids.append((await asyncio.to_thread(user.notify, f"n{i}"))["id"])
        return ids

    creating = asyncio.create_task(create_many())
    await asyncio.sleep(0.05)
    sock = await connect(server.ws, user, query=f"&since={first}")
    sockets.append(sock)
    created = await creating
    got = []
    while len(got) < len(created):
        got.append((await sock.next("notification"))["notification"]["id"])
    assert got == created  # no gap, no duplicate, in order
    assert [m for m in await sock.quiet() if m["type"] == "notification"] == []


async def test_read_sync_across_connections(server: Server, sockets: list[Socket]) -> None:
    user = new_user(server.http)
    a = await connect(server.ws, user)
    b = await connect(server.ws, user)
    sockets.extend([a, b])
    await a.next("hello")
    await b.next("hello")
    n1 = user.notify("one")
    n2 = user.notify("two")
    for sock in (a, b):
        await sock.next("notification")
        await sock.next("notification")
    await a.send({"type": "mark_read", "ids": [n1["id"]]})
    for sock in (a, b):
        assert await sock.next("read") == {"type": "read", "ids": [n1["id"]], "unread_count": 1}
    assert user.post(f"/api/notifications/{n2['id']}/read").status_code == 200
    for sock in (a, b):
        assert await sock.next("read") == {"type": "read", "ids": [n2["id"]], "unread_count": 0}
    user.post(f"/api/notifications/{n2['id']}/unread")
    assert (await b.next("unread"))["ids"] == [n2["id"]]
    await b.send({"type": "mark_all_read"})
    assert (await a.next("read"))["unread_count"] == 0
    deleted = httpx_delete(user, n1["id"])
    assert deleted == 204
    assert await a.next("notification.deleted") == {"type": "notification.deleted", "id": n1["id"]}


def httpx_delete(api: Api, nid: int) -> int:
    return httpx.delete(f"{api.base}/api/notifications/{nid}", headers=api.headers).status_code


async def test_ping_and_bad_messages(server: Server, sockets: list[Socket]) -> None:
    user = new_user(server.http)
    sock = await connect(server.ws, user)
    sockets.append(sock)
    await sock.next("hello")
    await sock.send({"type": "ping"})
    assert await sock.next() == {"type": "pong"}
    for bad in (
        "not json",
        json.dumps({"type": "dance"}),
        json.dumps({"type": "mark_read", "ids": "x"}),
        json.dumps([1, 2]),
    ):
        await sock.ws.send(bad)
        error = await sock.next()
        assert error["type"] == "error"
        assert error["code"] == "bad_message"
    await sock.send({"type": "ping"})
    assert await sock.next() == {"type": "pong"}  # still alive


async def test_logout_and_disable_close_sockets_promptly(
    server: Server, sockets: list[Socket]
) -> None:
    user = new_user(server.http)
    sock = await connect(server.ws, user)
    await sock.next("hello")
    assert user.post("/api/auth/logout").status_code == 204
    with pytest.raises(ConnectionClosed) as info:
        await sock.next(timeout=3)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 4401

    other = new_user(server.http)
    sock2 = await connect(server.ws, other)
    await sock2.next("hello")
    admin(server.http).patch(f"/api/users/{other.user_id}", {"is_active": False})
    with pytest.raises(ConnectionClosed) as info:
        await sock2.next(timeout=3)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 4401


async def test_preferences_apply_to_the_socket(server: Server, sockets: list[Socket]) -> None:
    user = new_user(server.http)
    sock = await connect(server.ws, user)
    sockets.append(sock)
    await sock.next("hello")
    user.patch("/api/notifications/preferences", {"auto_mark_read": True})
    n = user.notify("auto")
    assert (await sock.next("notification"))["notification"]["id"] == n["id"]
    assert (await sock.next("read"))["ids"] == [n["id"]]
    assert user.get(f"/api/notifications/{n['id']}").json()["read"] is True

    user.patch(
        "/api/notifications/preferences", {"websocket_enabled": False, "auto_mark_read": False}
    )
    user.notify("silent")
    assert [m for m in await sock.quiet(0.5) if m["type"] == "notification"] == []
    # Not replayed either: it was never to be pushed.
    replay = await connect(server.ws, user, query=f"&since={n['id']}")
    sockets.append(replay)
    await replay.next("hello")
    assert [m for m in await replay.quiet(0.5) if m["type"] == "notification"] == []
