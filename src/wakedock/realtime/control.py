"""Client → server messages on an open notification socket (docs/websocket.md): what each
one does, and the ``error`` answer to one the server cannot act on.

The socket's reader (``websocket.serve_socket``) hands every message here, one at a time and
in order: a ``resume`` finishes its replay before the next message is read, so the client
sees its answers in the order it asked. A bad message is answered with an ``error`` and the
connection stays open; ``auth`` after authentication is one (the token is fixed for the
socket's lifetime). ``mark_read`` and ``mark_all_read`` act as the REST endpoints do, with the
socket's audit actor, and the new read state is published to every device of the user,
this one included (one path for the acting socket and the others).
"""

from __future__ import annotations

import time

import orjson

from wakedock.audit.context import AuditActor
from wakedock.notifications import service
from wakedock.realtime import protocol
from wakedock.realtime.connection import Connection
from wakedock.realtime.hub import Hub


def error(code: str, message: str) -> str:
    """An ``error`` message to the client."""
    return orjson.dumps({"type": "error", "code": code, "message": message}).decode()


async def handle(text: str, conn: Connection, hub: Hub, actor: AuditActor) -> None:
    """One client message."""
    conn.last_seen = time.monotonic()
    try:
        message = protocol.parse(text)
    except protocol.BadMessage as exc:
        conn.offer(error(exc.code, str(exc)), None)
        return
    if isinstance(message, protocol.Ping):
        conn.offer('{"type":"pong"}', None)
    elif isinstance(message, protocol.Resume):
        await hub.resume(conn, message.since)
    elif isinstance(message, protocol.Auth):
        conn.offer(error("already_authenticated", "this connection is authenticated"), None)
    elif isinstance(message, protocol.MarkRead | protocol.MarkAllRead):
        # Published to every device of the user, this one included.
        async with hub.sessionmaker() as session:
            if isinstance(message, protocol.MarkRead):
                await service.mark_read(
                    session,
                    actor=actor,
                    user_id=conn.user_id,
                    ids=message.ids,
                    broker=hub.broker,
                    now=hub.clock.now(),
                )
            else:
                await service.mark_all_read(
                    session,
                    actor=actor,
                    user_id=conn.user_id,
                    broker=hub.broker,
                    now=hub.clock.now(),
                )
