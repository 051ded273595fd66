"""``GET /api/notifications/stream``: Server-Sent Events, the same events as the WebSocket.

Resume with the ``Last-Event-ID`` header (browsers send it on reconnect) or ``?since=``; every
notification event carries its id as the SSE event id. Both are checked before the stream
starts (422 in the error shape), so a response that has begun never breaks on them.

A frame is handed to the body only once the previous one is written, so a client that reads
slowly keeps its backlog in the connection's outbox, bounded in messages and bytes like a
WebSocket's: when it overflows, or the credentials are revoked, the stream ends with an
``event: close`` carrying the WebSocket close code (4408, 4401, 4403...).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from wakedock.auth.sessions import token_expiry
from wakedock.bounds import INT64_MAX
from wakedock.errors import ERROR_RESPONSES, Unauthorized, ValidationFailed
from wakedock.realtime import protocol
from wakedock.realtime.auth import authorize, token_from
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub

router = APIRouter(prefix="/api/notifications", tags=["real-time"], responses=ERROR_RESPONSES)


class _End:
    """The connection was closed (revoked, too slow, shutting down): the stream's last event."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason

    def json(self) -> str:
        return orjson.dumps({"type": "close", "code": self.code, "reason": self.reason}).decode()


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
    start = since
    if last_event_id:
        # Checked before anything streams: a bad one is a 422, not a stream that breaks.
        start = protocol.parse_since(last_event_id)
        if start is None:
            raise ValidationFailed(protocol.SINCE_MESSAGE, field="header.Last-Event-ID")
    token = token_from(request)
    if not token:
        raise Unauthorized("Not authenticated")
    # The stream is always the caller's own.
    checked_at = time.monotonic()
    principal = await authorize(request.app.state.sessionmaker, settings, token=token, user_id=None)
    # Unbounded, but ``send`` waits until the body has written what it put: a slow reader's
    # backlog stays in the connection's outbox, which is bounded (4408 ends the stream).
    frames: asyncio.Queue[str | _End] = asyncio.Queue()

    async def send(text: str, notification_id: int | None) -> None:
        kind = (
            orjson.loads(text).get("type", "message") if notification_id is None else "notification"
        )
        head = f"id: {notification_id}\n" if notification_id is not None else ""
        frames.put_nowait(f"{head}event: {kind}\ndata: {text}\n\n")
        await frames.join()

    async def close(code: int, reason: str) -> None:
        frames.put_nowait(_End(code, reason))

    conn = Connection(
        user_id=principal.user_id,
        send=send,
        close=close,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        expires_at=token_expiry(token, settings),
        max_queue=hub.max_queue,
        max_bytes=hub.max_bytes,
    )

    async def body() -> AsyncIterator[str]:
        await hub.ready.wait()
        try:
            opened = await hub.open(conn, since=start, checked_at=checked_at)
            yield f"retry: 2000\nevent: hello\ndata: {hub.hello(conn, opened)}\n\n"
            if start is not None:
                await hub.resume(conn, start, opened)
            while True:
                try:
                    frame = await asyncio.wait_for(frames.get(), hub.heartbeat_interval)
                except TimeoutError:
                    conn.last_seen = time.monotonic()  # the stream is alive as long as it writes
                    yield ": ping\n\n"
                    continue
                if isinstance(frame, _End):
                    # The WebSocket's close code and reason, as a last event; then the end.
                    yield f"event: close\ndata: {frame.json()}\n\n"
                    return
                conn.last_seen = time.monotonic()
                yield frame
                frames.task_done()
        finally:
            hub.unregister(conn)
            await conn.stop()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
