"""A client that does not read is closed with 4408 once what waits for it passes the byte bound
(issue 17, finding 8).

Before: the outbox was bounded only in messages (``WAKEDOCK_SOCKET_QUEUE_SIZE``), so 60
notifications of 4 MB to a socket that did not read grew the server by 280 MiB and never
closed it; an SSE stream had no bound at all. Here the bound in bytes is set low and the count
high, so only the bytes can close the client; the clients are raw TCP sockets with a small
receive buffer that read nothing until every notification has been created.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.realtime.conftest import Api, Server, new_user, server_env

pytestmark = pytest.mark.slow  # starts `wakedock serve` processes

NOTIFICATIONS = 600
# ~16 KB each, in small strings (whatever limits other settings put on one string or value).
DATA = {f"k{i}": "x" * 1000 for i in range(16)}


def raw_client(server: Server, request: str) -> socket.socket:
    """A TCP connection that sent ``request`` and reads nothing yet."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: no autotuning
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(request.encode())
    return sock


def read_until(sock: socket.socket, done: Callable[[bytes], bool], seconds: float = 10) -> bytes:
    """What the server sends until ``done(everything so far)``, it closes, or time runs out."""
    sock.settimeout(seconds)
    data = b""
    while not done(data):
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


def websocket_frames(data: bytes) -> tuple[list[bytes], int | None]:
    """The text frames of an unmasked server stream after the HTTP head, and the close code."""
    if b"\r\n\r\n" not in data:
        return [], None
    head_end = data.index(b"\r\n\r\n") + 4
    assert data[:head_end].startswith(b"HTTP/1.1 101"), data[:200]
    view, pos, texts = data, head_end, []
    while pos + 2 <= len(view):
        opcode, length = view[pos] & 0x0F, view[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            length, pos = int.from_bytes(view[pos : pos + 2], "big"), pos + 2
        elif length == 127:
            length, pos = int.from_bytes(view[pos : pos + 8], "big"), pos + 8
        payload = view[pos : pos + length]
        pos += length
        if opcode == 0x8:
            return texts, int.from_bytes(payload[:2], "big")
        if opcode == 0x1:
            texts.append(payload)
    return texts, None


async def create_many(user: Api) -> None:
    async with httpx.AsyncClient(base_url=user.base, headers=user.headers, timeout=30) as client:

        async def one(i: int) -> None:
            answer = await client.post("/api/notifications", json={"title": f"n{i}", "data": DATA})
            assert answer.status_code == 201, answer.text

        for start in range(0, NOTIFICATIONS, 20):
            await asyncio.gather(*(one(i) for i in range(start, start + 20)))


async def test_clients_that_do_not_read_are_closed_with_4408_by_bytes(tmp_path: Path) -> None:
    env = server_env(
        tmp_path,
        WAKEDOCK_SOCKET_QUEUE_MAX_BYTES=str(64 * 1024),
        WAKEDOCK_SOCKET_QUEUE_SIZE="100000",
        WAKEDOCK_HEARTBEAT_INTERVAL_SECONDS="120",  # silent clients are not reaped meanwhile
    )
    server = Server(port=free_port(), env=env, log=tmp_path / "server.log").start()
    try:
        user = new_user(server.http)
        key = base64.b64encode(os.urandom(16)).decode()
        ws = raw_client(
            server,
            f"GET /ws/notifications/{user.user_id}?token={user.token} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        sse = raw_client(
            server,
            f"GET /api/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {user.token}\r\n\r\n",
        )
        await asyncio.sleep(1.0)  # both registered (the hello is sent) before the flood
        await create_many(user)
        # The server is still answering, and has closed what it could not send.
        assert httpx.get(f"{server.http}/api/health", timeout=5).status_code == 200

        data = await asyncio.to_thread(read_until, ws, lambda d: websocket_frames(d)[1] is not None)
        texts, code = websocket_frames(data)
        notifications = sum(1 for text in texts if b'"type":"notification"' in text)
        assert code == 4408, (notifications, code)
        assert 0 < notifications < NOTIFICATIONS

        streamed = await asyncio.to_thread(read_until, sse, lambda d: b"event: close" in d[-4096:])
        assert b"event: close" in streamed, streamed[-300:]
        assert b'"code":4408' in streamed
        assert 0 < streamed.count(b"event: notification") < NOTIFICATIONS
        ws.close()
        sse.close()
    finally:
        server.stop()
