"""The socket endpoint in-process: through FastAPI's routing, and through the gateway that
``wakedock serve`` runs (here without Uvicorn, so every message goes through ``send``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.realtime.conftest import websocket_scope
from wakedock.gateway import Gateway


@pytest.mark.parametrize("via", ["routing", "gateway"])
async def test_hello_live_event_and_disconnect(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], via: str
) -> None:
    token = admin_headers["Authorization"].split()[1]
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await incoming.put({"type": "websocket.connect"})
    scope = websocket_scope(me["id"], f"token={token}")
    asgi = Gateway(app) if via == "gateway" else app
    task = asyncio.create_task(asgi(scope, incoming.get, outgoing.put))

    async def next_message() -> dict[str, Any]:
        return await asyncio.wait_for(outgoing.get(), 5)

    assert (await next_message())["type"] == "websocket.accept"
    hello = json.loads((await next_message())["text"])
    assert hello["type"] == "hello"
    assert hello["user_id"] == me["id"]
    created = (
        await client.post("/api/notifications", json={"title": "hi"}, headers=admin_headers)
    ).json()
    event = json.loads((await next_message())["text"])
    # ``seq``: its position in the user's live stream (a number per user, from 1).
    assert event == {"type": "notification", "seq": event["seq"], "notification": created}
    assert isinstance(event["seq"], int)
    assert event["seq"] >= 1
    await incoming.put({"type": "websocket.receive", "text": '{"type": "ping"}'})
    assert json.loads((await next_message())["text"]) == {"type": "pong"}
    await incoming.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 5)
    assert app.state.hub.connection_count == 0
