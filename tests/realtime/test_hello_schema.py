"""The hello each transport sends is exactly ``protocol.Hello``: the UI types the frame from that
model (web/openapi.json carries it), so a field added, renamed or retyped in either frame fails
here until the model (and, through ``make client``, the UI's type) says the same."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.realtime.conftest import Server, new_user, websocket_scope
from tests.realtime.test_sse import read_events
from wakedock.realtime.protocol import Hello
from wakedock.web.openapi import current_schema


def assert_is_hello(frame: dict[str, Any], user_id: int) -> None:
    assert set(frame) == set(Hello.model_fields)
    hello = Hello.model_validate(frame)
    assert hello.user_id == user_id
    assert hello.server_time.tzinfo is not None


async def test_websocket_hello_is_the_model(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    token = admin_headers["Authorization"].split()[1]
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await incoming.put({"type": "websocket.connect"})
    task = asyncio.create_task(
        app(websocket_scope(me["id"], f"token={token}"), incoming.get, outgoing.put)
    )
    assert (await asyncio.wait_for(outgoing.get(), 5))["type"] == "websocket.accept"
    assert_is_hello(json.loads((await asyncio.wait_for(outgoing.get(), 5))["text"]), me["id"])
    await incoming.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 5)


async def test_sse_hello_is_the_model(server: Server) -> None:
    user = new_user(server.http)
    me = httpx.get(f"{server.http}/api/auth/me", headers=user.headers).json()
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "GET", f"{server.http}/api/notifications/stream", headers=user.headers
        ) as response,
    ):
        [(_, kind, frame)] = await asyncio.wait_for(read_events(response, 1), 10)
    assert kind == "hello"
    assert_is_hello(frame, me["id"])


def test_the_ui_schema_declares_the_hello() -> None:
    declared = current_schema()["components"]["schemas"]["Hello"]
    assert declared["required"] == list(Hello.model_fields)
    assert declared["properties"]["type"]["const"] == "hello"
