"""Each fast path of `wakedock serve` is in use (its counter grows), so an upgrade of Uvicorn
or aiosqlite that silently disables one fails here instead of only slowing the service."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.realtime.conftest import Server, Socket, connect, new_user

pytestmark = pytest.mark.slow  # starts `wakedock serve`


def uses(server: Server) -> dict[str, float]:
    text = httpx.get(f"{server.http}/metrics", timeout=5).text
    found = re.findall(r'^wakedock_fast_path_uses_total\{path="(\w+)"\} (\S+)$', text, re.M)
    return {path: float(count) for path, count in found}


async def test_a_create_and_its_live_push_take_every_fast_path(
    server: Server, sockets: list[Socket]
) -> None:
    before = uses(server)
    assert set(before) == {"gateway_create", "socket_direct_write", "sqlite_one_trip"}
    user = new_user(server.http)
    sockets.append(socket := await connect(server.ws, user))
    await socket.next("hello")
    created = user.notify("fast paths")
    assert (await socket.next("notification"))["notification"]["id"] == created["id"]
    after = uses(server)
    assert after["gateway_create"] == before["gateway_create"] + 1
    assert after["socket_direct_write"] > before["socket_direct_write"]
    assert after["sqlite_one_trip"] > before["sqlite_one_trip"]
