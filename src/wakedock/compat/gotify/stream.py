"""``GET /stream``: Gotify's WebSocket, each new message as Gotify's message JSON.

The socket is a connection of WakeDock's real-time hub (``realtime.hub``): it gets the user's
``notification`` events from the broker, so a message published in any process (Redis) reaches
it, and revocations close it like any socket of the user (the client's token deleted, the
user disabled: 4401). Other events (read, deleted, counts) are not Gotify's and are not sent;
nothing is replayed (Gotify's clients read what they missed with ``GET /message``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from wakedock.auth.permissions import Permission
from wakedock.auth.sessions import token_expiry
from wakedock.compat.gotify import credentials, errors, messages
from wakedock.errors import WakeDockError
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub

logger = logging.getLogger(__name__)
router = APIRouter(tags=["gotify"], include_in_schema=False)


async def _refuse(websocket: WebSocket, exc: WakeDockError) -> None:
    """Before the upgrade: an HTTP answer in Gotify's shape when the server can send one."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(errors.response(exc.status_code, exc.message))
    else:
        await websocket.close(4000 + exc.status_code, exc.message[:120])


@router.websocket("/stream")
async def stream(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    settings = websocket.app.state.settings
    checked_at = time.monotonic()
    try:
        async with websocket.app.state.sessionmaker() as session:
            principal = await credentials.client(
                session, settings, websocket, Permission.NOTIFICATIONS_READ
            )
    except WakeDockError as exc:
        await _refuse(websocket, exc)
        return
    token = credentials.read(websocket).token
    await websocket.accept()

    async def send(text: str, _: int | None) -> None:
        event = orjson.loads(text)
        if event.get("type") != "notification":
            return
        await websocket.send_text(
            orjson.dumps(messages.from_payload(event["notification"])).decode()
        )

    async def close(code: int, reason: str) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await websocket.close(code, reason)

    conn = Connection(
        user_id=principal.user_id,
        send=send,
        close=close,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        expires_at=token_expiry(token, settings) if token else None,
        max_queue=hub.max_queue,
        max_bytes=hub.max_bytes,
    )

    async def alive() -> None:
        # Gotify's clients send nothing; the server's own pings keep the socket, so while it
        # is open it counts as seen for the hub's heartbeat check.
        while True:
            conn.last_seen = time.monotonic()
            await asyncio.sleep(hub.heartbeat_interval / 2)

    await hub.ready.wait()
    keeper = asyncio.create_task(alive())
    try:
        await hub.open(conn, since=None, checked_at=checked_at)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except WebSocketDisconnect:
        pass
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        hub.unregister(conn)
        await conn.stop()
