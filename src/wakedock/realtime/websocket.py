"""``/ws/notifications/{user_id}``: the authenticated real-time notification socket.

Three tasks per connection, the first to finish cancels the others: the reader (client
messages), the writer (the bounded outbox) and the closer (a close requested by the hub).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from wakedock.audit.context import AuditActor
from wakedock.auth.principal import Principal
from wakedock.errors import Forbidden, Unauthorized
from wakedock.notifications import events, service
from wakedock.realtime import protocol
from wakedock.realtime.auth import authorize, expiry, token_from
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub

router = APIRouter()
TRY_AGAIN_LATER = 1013


def _error(code: str, message: str) -> str:
    return orjson.dumps({"type": "error", "code": code, "message": message}).decode()


async def _first_message_token(websocket: WebSocket) -> str | None:
    try:
        text = await asyncio.wait_for(websocket.receive_text(), protocol.AUTH_TIMEOUT_SECONDS)
        message = protocol.parse(text)
    except (TimeoutError, protocol.BadMessage, WebSocketDisconnect, KeyError):
        return None
    return message.token if isinstance(message, protocol.Auth) else None


@router.websocket("/ws/notifications/{user_id}")
async def notifications_socket(websocket: WebSocket, user_id: int) -> None:
    app = websocket.app
    hub: Hub = app.state.hub
    settings = app.state.settings
    await websocket.accept()
    token = token_from(websocket) or await _first_message_token(websocket)
    if not token:
        await websocket.close(protocol.UNAUTHORIZED, "authentication required")
        return
    try:
        principal = await authorize(app.state.sessionmaker, settings, token=token, user_id=user_id)
    except Unauthorized as exc:
        await websocket.close(protocol.UNAUTHORIZED, exc.message[:120])
        return
    except Forbidden as exc:
        await websocket.close(protocol.FORBIDDEN, exc.message[:120])
        return

    closed = asyncio.Event()
    close_with: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        await websocket.send_text(text)

    async def close(code: int, reason: str) -> None:
        close_with.append((code, reason))
        closed.set()

    expires = expiry(token, settings)
    conn = Connection(
        user_id=user_id,
        send=send,
        close=close,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        expires_at=expires if isinstance(expires, datetime) else None,
        max_queue=hub.max_queue,
    )
    try:
        await asyncio.wait_for(hub.ready.wait(), 10)
    except TimeoutError:
        await websocket.close(TRY_AGAIN_LATER, "broker unavailable: retry")
        return
    hub.register(conn)
    tasks: list[asyncio.Task[Any]] = []
    try:
        async with app.state.sessionmaker() as session:
            unread = await service.unread_count(session, user_id=user_id, now=hub.clock.now())
        await websocket.send_text(
            orjson.dumps(
                {
                    "type": "hello",
                    "user_id": user_id,
                    "connection_id": conn.id,
                    "unread_count": unread,
                    "server_time": hub.clock.now().isoformat(),
                    "heartbeat_interval": hub.heartbeat_interval,
                }
            ).decode()
        )
        tasks = [
            asyncio.create_task(conn.write_forever()),
            asyncio.create_task(_reader(websocket, conn, hub, principal)),
            asyncio.create_task(closed.wait()),
        ]
        since = websocket.query_params.get("since")
        if since is not None:
            try:
                start = int(since)
                if start < 0:
                    raise ValueError
            except ValueError:
                conn.offer(
                    _error("bad_since", "since must be a non-negative notification id"), None
                )
            else:
                await hub.resume(conn, start)
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unregister(conn)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
        if close_with and websocket.client_state == WebSocketState.CONNECTED:
            code, reason = close_with[0]
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(code, reason)


async def _reader(websocket: WebSocket, conn: Connection, hub: Hub, principal: Principal) -> None:
    actor = AuditActor(principal.user_id, principal.user.username, None, "websocket")
    while True:
        text = await websocket.receive_text()
        conn.last_seen = time.monotonic()
        try:
            message = protocol.parse(text)
        except protocol.BadMessage as exc:
            conn.offer(_error("bad_message", str(exc)), None)
            continue
        if isinstance(message, protocol.Ping):
            conn.offer('{"type":"pong"}', None)
        elif isinstance(message, protocol.Resume):
            await hub.resume(conn, message.since)
        elif isinstance(message, protocol.Auth):
            conn.offer(_error("already_authenticated", "this connection is authenticated"), None)
        elif isinstance(message, protocol.MarkRead | protocol.MarkAllRead):
            async with hub.sessionmaker() as session:
                if isinstance(message, protocol.MarkRead):
                    result = await service.mark_read(
                        session,
                        actor=actor,
                        user_id=conn.user_id,
                        ids=message.ids,
                        now=hub.clock.now(),
                    )
                else:
                    result = await service.mark_all_read(
                        session, actor=actor, user_id=conn.user_id, now=hub.clock.now()
                    )
            # Published to every device of the user, this one included.
            await events.read_state(
                hub.broker,
                user_id=conn.user_id,
                ids=result.ids,
                unread_count=result.unread_count,
                read=True,
            )
