"""``GET /api/notifications/stream``: Server-Sent Events, the same events as the WebSocket.

Resume with the ``Last-Event-ID`` header (browsers send it on reconnect) or ``?since=``; every
notification event carries its id as the SSE event id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from wakedock.bounds import INT64_MAX
from wakedock.errors import ERROR_RESPONSES, Unauthorized
from wakedock.realtime.auth import authorize, expiry, token_from
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub

router = APIRouter(prefix="/api/notifications", tags=["real-time"], responses=ERROR_RESPONSES)
_END = object()


@router.get(
    "/stream",
    summary="Server-Sent Events stream of your notifications (WebSocket fallback)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    since: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    hub: Hub = request.app.state.hub
    settings = request.app.state.settings
    token = token_from(request)
    if not token:
        raise Unauthorized("Not authenticated")
    # The stream is always the caller's own.
    principal = await authorize(request.app.state.sessionmaker, settings, token=token, user_id=None)
    start = since
    if last_event_id and last_event_id.isdigit():
        start = int(last_event_id)
    frames: asyncio.Queue[object] = asyncio.Queue()

    async def send(text: str, notification_id: int | None) -> None:
        kind = (
            orjson.loads(text).get("type", "message") if notification_id is None else "notification"
        )
        head = f"id: {notification_id}\n" if notification_id is not None else ""
        await frames.put(f"{head}event: {kind}\ndata: {text}\n\n")

    async def close(code: int, reason: str) -> None:
        await frames.put(_END)

    expires = expiry(token, settings)
    conn = Connection(
        user_id=principal.user_id,
        send=send,
        close=close,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        expires_at=expires if isinstance(expires, datetime) else None,
        max_queue=hub.max_queue,
    )

    async def body() -> AsyncIterator[str]:
        await hub.ready.wait()
        try:
            opened = await hub.open(conn, since=start)
            hello = {
                "type": "hello",
                "user_id": conn.user_id,
                "connection_id": conn.id,
                "unread_count": opened.unread,
                "server_time": hub.clock.now().isoformat(),
                "heartbeat_interval": hub.heartbeat_interval,
            }
            yield f"retry: 2000\nevent: hello\ndata: {orjson.dumps(hello).decode()}\n\n"
            if start is not None:
                await hub.resume(conn, start, opened)
            while True:
                try:
                    frame = await asyncio.wait_for(frames.get(), hub.heartbeat_interval)
                except TimeoutError:
                    conn.last_seen = time.monotonic()  # the stream is alive as long as it writes
                    yield ": ping\n\n"
                    continue
                if frame is _END:
                    return
                conn.last_seen = time.monotonic()
                yield str(frame)
        finally:
            hub.unregister(conn)
            await conn.stop()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
