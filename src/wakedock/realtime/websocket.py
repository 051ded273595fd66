"""``/ws/notifications/{user_id}``: the authenticated real-time notification socket.

One task per connection, the one Uvicorn runs the endpoint in: it authenticates, sends the
hello, replays, then reads client messages (``realtime/control.py`` acts on each) until the
socket closes. Messages to the client are
written by whoever produces them (the hub's dispatch, a replay) straight into the socket when it
can take them; only a socket that is not writable gets a drain task, until its outbox is empty.
A close requested by the hub (revocation, heartbeat, 4408) sends the close frame, which ends the
reader.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send
from websockets.protocol import State

from wakedock import fast_paths
from wakedock.audit.context import AuditActor
from wakedock.auth.sessions import token_expiry
from wakedock.errors import Forbidden, Unauthorized
from wakedock.realtime import control, protocol
from wakedock.realtime.auth import authorize, token_from
from wakedock.realtime.connection import Batch, Connection, Message
from wakedock.realtime.hub import Hub

logger = logging.getLogger(__name__)
router = APIRouter()
TRY_AGAIN_LATER = 1013
_PATH = re.compile(r"/ws/notifications/(\d{1,18})")
_OPEN = State.OPEN


class _DirectWriter:
    """A synchronous write of a pre-encoded frame, for Uvicorn's websockets-sansio sockets.

    It writes what Uvicorn's own ``websocket.send`` would (one unmasked text frame into the
    transport), but without a coroutine per message, and the frame is encoded once for every
    socket it goes to. It declines (returns False: the message waits in the outbox for the
    ordinary ``send``) whenever that ``send`` would wait or refuse: the transport is paused
    (the client reads slowly), closing, or the close handshake has started.
    """

    __slots__ = ("protocol",)

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol

    def __call__(self, message: Message | Batch) -> bool:
        protocol = self.protocol
        transport = protocol.transport
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.conn.state is not _OPEN
            or transport.is_closing()
        ):
            return False
        transport.write(message.frame)
        fast_paths.USES[fast_paths.SOCKET_DIRECT_WRITE] += 1
        return True


def direct_writer(send: object) -> Callable[[Message | Batch], bool] | None:
    """A ``_DirectWriter`` when ``send`` is Uvicorn's websockets-sansio one, else None (every
    message goes through ``send``)."""
    protocol = getattr(send, "__self__", None)
    if protocol is None:
        return None
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    return _DirectWriter(protocol)


class _Socket:
    """The ASGI ``receive``/``send`` of one socket, as the few calls the endpoint needs."""

    __slots__ = ("receive", "send")

    def __init__(self, receive: Receive, send: Send) -> None:
        self.receive = receive
        self.send = send

    async def receive_text(self) -> str:
        """The next text message; ``WebSocketDisconnect`` once the socket is closed."""
        while True:
            message = await self.receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
            if kind == "websocket.receive":
                text = message.get("text")
                if text is not None:
                    return str(text)
                return ""  # a binary message: not JSON, answered as a bad message

    async def send_text(self, text: str) -> None:
        await self.send({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str = "") -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason})

    async def send_message(self, text: str, _: int | None) -> None:
        """``Connection.send``: the ordinary write, waiting while the socket is not writable."""
        await self.send_text(text)

    async def shut(self, code: int, reason: str) -> None:
        """``Connection.close``: the close frame, which also ends the reader (the server hands
        it a disconnect). A socket the client has already left (the usual case for a heartbeat
        timeout) or already closed refuses it: nothing to do."""
        try:
            await self.close(code, reason)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            logger.debug("close %s on a socket already gone: %r", code, exc)
        except Exception:
            logger.warning(
                "could not close a notification socket (%s %s)", code, reason, exc_info=True
            )


async def _first_message_token(socket: _Socket) -> str | None:
    try:
        text = await asyncio.wait_for(socket.receive_text(), protocol.AUTH_TIMEOUT_SECONDS)
        message = protocol.parse(text)
    except (TimeoutError, protocol.BadMessage, WebSocketDisconnect):
        return None
    return message.token if isinstance(message, protocol.Auth) else None


def socket_user_id(path: str) -> int | None:
    """The user id in a notification socket's path, or None for any other path."""
    match = _PATH.fullmatch(path)
    return int(match.group(1)) if match is not None else None


@router.websocket("/ws/notifications/{user_id}")
async def notifications_socket(websocket: WebSocket, user_id: int) -> None:
    """The same socket through the framework's routing (in-process clients, tests)."""
    await serve_socket(
        websocket.app, websocket.scope, websocket.receive, websocket.send, user_id, direct=False
    )


def _forget_handshake(scope: Scope, send: Send) -> None:
    """Uvicorn (websockets-sansio) keeps the upgrade request and response, headers and all,
    for the socket's lifetime but never reads them once the socket is accepted: drop them,
    and the scope's copy of the request headers (read once, above; nothing else sees this
    scope)."""
    scope["headers"] = []
    server_protocol = getattr(send, "__self__", None)
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # pragma: no cover
        return
    if isinstance(server_protocol, WebSocketsSansIOProtocol) and server_protocol.handshake_complete:
        vars(server_protocol).pop("request", None)
        vars(server_protocol).pop("response", None)


async def serve_socket(
    app: FastAPI,
    scope: Scope,
    receive: Receive,
    send: Send,
    user_id: int,
    *,
    direct: bool,
) -> None:
    """One socket, start to end. ``direct``: ``send`` is the server's own, not a wrapper."""
    hub: Hub = app.state.hub
    settings = app.state.settings
    socket = _Socket(receive, send)
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    request = HTTPConnection(scope)  # parsed once, not kept
    token = token_from(request)
    since = request.query_params.get("since")
    del request
    if direct:
        _forget_handshake(scope, send)
    if not token:
        token = await _first_message_token(socket)
    if not token:
        await socket.close(protocol.UNAUTHORIZED, "authentication required")
        return
    if not 0 < user_id <= protocol.MAX_ID:  # the routing's path allows any integer
        await socket.close(protocol.FORBIDDEN, "no such user")
        return
    checked_at = time.monotonic()
    try:
        principal = await authorize(app.state.sessionmaker, settings, token=token, user_id=user_id)
    except Unauthorized as exc:
        await socket.close(protocol.UNAUTHORIZED, exc.message[:120])
        return
    except Forbidden as exc:
        await socket.close(protocol.FORBIDDEN, exc.message[:120])
        return

    expires = token_expiry(token, settings)
    # Only what the socket needs is kept for its lifetime (not the user's ORM object).
    actor = AuditActor(principal.user_id, principal.username, None, "websocket")
    conn = Connection(
        user_id=user_id,
        send=socket.send_message,
        close=socket.shut,
        session_id=principal.session_id,
        api_token_id=principal.api_token_id,
        expires_at=expires,
        max_queue=hub.max_queue,
        max_bytes=hub.max_bytes,
        write_now=direct_writer(send) if direct else None,
        started=False,
        principal_id=principal.user_id,
    )
    del principal, expires, token
    try:
        await asyncio.wait_for(hub.ready.wait(), 10)
    except TimeoutError:
        await socket.close(TRY_AGAIN_LATER, "broker unavailable: retry")
        return
    start = protocol.parse_since(since)  # a bad one is answered after the hello
    try:
        opened = await hub.open(conn, since=start, checked_at=checked_at)
        await socket.send_text(hub.hello(conn, opened))
        conn.start()
        if start is not None:
            await hub.resume(conn, start, opened)
        elif since is not None:
            conn.offer(control.error("bad_since", protocol.SINCE_MESSAGE), None)
        # This task (Uvicorn's, one per socket) is the reader; writes need no task of their
        # own, and heartbeats are checked by the hub's single housekeeping timer. The loop is
        # here, not in a helper, so an idle socket keeps no extra coroutine frames.
        while True:
            event = await receive()
            kind = event["type"]
            if kind == "websocket.disconnect":
                break
            if kind == "websocket.receive" and not conn.closing:
                # A binary message is not JSON: answered as a bad message.
                await control.handle(str(event.get("text") or ""), conn, hub, actor)
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        # The client left mid-write or mid-read: the usual end of a socket, not a failure.
        logger.debug("notification socket of user %s ended: %r", user_id, exc)
    except Exception:
        # Never a socket dropped without a close frame: the client learns it should resume.
        logger.exception("notification socket of user %s failed", user_id)
        await socket.shut(protocol.INTERNAL_ERROR, "internal error: resume with since")
    finally:
        hub.unregister(conn)
        await conn.stop()
