"""``listen()``: the notifications of the token's user, live over the WebSocket
(``/ws/notifications/{user_id}``, docs/websocket.md), resumed from the last id received after
any drop, reconnecting with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from wakedock.client import _ops
from wakedock.client.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    PermissionDenied,
    TransportError,
)
from wakedock.client.models import Notification

if TYPE_CHECKING:
    from wakedock.client.async_client import AsyncClient

UNAUTHORIZED = 4401
FORBIDDEN = 4403
_REMEMBERED = 10_000  # ids kept to drop a notification that comes twice (quiet hours, resets)


def websocket_base(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


async def _heartbeat(socket: Any, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await socket.send('{"type":"ping"}')


def _closed_error(code: int | None, reason: str) -> ApiError | None:
    if code == UNAUTHORIZED:
        return AuthenticationError(401, "unauthorized", reason or "not authenticated")
    if code == FORBIDDEN:
        return PermissionDenied(403, "forbidden", reason or "forbidden")
    return None


async def listen(
    client: AsyncClient,
    *,
    since: int | None = None,
    topics: Collection[str] | None = None,
    reconnect: bool = True,
    max_backoff: float = 30.0,
    on_state: Callable[[str], None] | None = None,
) -> AsyncIterator[Notification]:
    """Yield each new notification once, in the server's order. ``since``: the id of the last
    notification already handled (those after it are replayed first); None: only new ones.
    ``topics``: yield only notifications of these topics. ``on_state`` hears "connected" and
    "disconnected: <why>" (for logs). A 4401/4403 close raises; other drops reconnect."""
    wanted = set(topics or ())
    seen: OrderedDict[int, None] = OrderedDict()
    user_id: int | None = None
    attempt = 0
    while True:
        why = ""
        try:
            if user_id is None:
                user_id = (await client._run(_ops.me())).id
            url = f"{websocket_base(client.url)}/ws/notifications/{user_id}"
            if since is not None:
                url += f"?since={since}"
            async with websockets.connect(
                url,
                additional_headers={"Authorization": f"Bearer {client.token}"},
                open_timeout=client.timeout,
                ping_interval=None,  # the protocol's own heartbeat (below)
                max_size=2**22,
                user_agent_header=client.user_agent,
            ) as socket:
                hello = json.loads(await asyncio.wait_for(socket.recv(), client.timeout))
                if hello.get("type") != "hello":
                    raise TransportError(f"unexpected first message: {hello.get('type')!r}")
                attempt = 0
                if on_state:
                    on_state("connected")
                interval = float(hello.get("heartbeat_interval") or 25.0)
                pinger = asyncio.create_task(_heartbeat(socket, max(interval / 2, 0.5)))
                try:
                    async for raw in socket:
                        message = json.loads(raw)
                        kind = message.get("type")
                        if kind == "notification":
                            notification = Notification.model_validate(message["notification"])
                            if notification.id in seen:
                                continue
                            seen[notification.id] = None
                            if len(seen) > _REMEMBERED:
                                seen.popitem(last=False)
                            since = notification.id
                            if wanted and notification.topic not in wanted:
                                continue
                            yield notification
                        elif kind == "reset":
                            # ``since`` is older than retention kept: go on from the newest.
                            page = await client._run(_ops.list_notifications(limit=1))
                            since = page.items[0].id if page.items else 0
                finally:
                    pinger.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await pinger
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            reason = exc.rcvd.reason if exc.rcvd else ""
            error = _closed_error(code, reason)
            if error is not None:
                raise error from None
            why = f"closed ({code} {reason})".strip()
        except InvalidStatus as exc:
            status = exc.response.status_code
            refused = _closed_error({401: UNAUTHORIZED, 403: FORBIDDEN}.get(status), "")
            if refused is not None:
                raise refused from None
            if status == 404:
                raise NotFoundError(
                    404, "not_found", "no notification socket at this URL"
                ) from None
            why = f"HTTP {status}"
        except (OSError, TimeoutError, InvalidHandshake, TransportError) as exc:
            why = str(exc) or type(exc).__name__
        if on_state:
            on_state(f"disconnected: {why}")
        if not reconnect:
            raise TransportError(f"connection lost: {why}")
        await asyncio.sleep(_ops.backoff(attempt, base=0.5, cap=max_backoff))
        attempt += 1
