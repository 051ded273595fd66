"""Real-time events, published on the broker after the commit, on channel ``user:{id}``.

Each event is serialized once, whatever the number of sockets it reaches. The gateway
(wakedock.realtime) forwards these payloads to the user's connections as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from wakedock.broker import Broker
from wakedock.notifications.models import Notification
from wakedock.notifications.schemas import JUST_CREATED, NotificationOut, StoredNotification

logger = logging.getLogger(__name__)


# The type of the internal message ``preferences_changed`` sends (the hub consumes it).
PREFERENCES_CHANGED = "_prefs"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def encode(message: dict[str, Any]) -> bytes:
    return orjson.dumps(message)


def notification_payload(notification: StoredNotification) -> dict[str, Any]:
    return NotificationOut.model_validate(notification).model_dump(mode="json")


def created_payload(notification: StoredNotification) -> dict[str, Any]:
    """``notification_payload`` of a notification just created from a request (its ``data``
    checked against the request's bounds then, not walked again)."""
    out = NotificationOut.model_validate(notification, context=JUST_CREATED)
    return out.model_dump(mode="json")


async def _publish(broker: Broker | None, user_id: int, message: dict[str, Any]) -> None:
    if broker is None:
        return
    try:
        await broker.publish(user_channel(user_id), encode(message))
    except Exception:  # the notification is stored; clients catch up on resume
        logger.exception("could not publish %s event for user %s", message.get("type"), user_id)


async def created(
    broker: Broker | None,
    notifications: Iterable[Notification],
    payloads: dict[int, dict[str, Any]] | None = None,
    *,
    just_created: bool = False,
) -> None:
    """``payloads``: shapes already built, by id; the ones built here are added to it.
    ``just_created``: the notifications were created from a request moments ago (their
    ``data`` within its bounds: ``created_payload``), not read back from the database."""
    shape = created_payload if just_created else notification_payload
    for notification in notifications:
        if payloads is None:
            payload = shape(notification)
        else:
            payload = payloads.get(notification.id) or payloads.setdefault(
                notification.id, shape(notification)
            )
        # ``seq``: its position in the user's live stream; sockets deliver in that order.
        await _publish(
            broker,
            notification.user_id,
            {"type": "notification", "seq": notification.seq, "notification": payload},
        )


def frames_alike(notifications: Sequence[Notification]) -> list[tuple[int, str, bytes]]:
    """The ``created`` events of copies of one content for different users (a broadcast's
    batch), as (notification id, channel, encoded event): the content is encoded once and each
    event is spliced around it with the three fields that differ (position, id, user), a
    microsecond a copy instead of building and encoding its whole shape."""
    if not notifications:
        return []
    shape = notification_payload(notifications[0])
    rest = encode({k: v for k, v in shape.items() if k not in ("id", "user_id")})
    tail = b"," + rest[1:] + b"}" if len(rest) > 2 else b"}}"
    events = []
    for n in notifications:
        head = b'{"type":"notification","seq":%s,"notification":{"id":%d,"user_id":%d' % (
            b"null" if n.seq is None else str(n.seq).encode(),
            n.id,
            n.user_id,
        )
        events.append((n.id, user_channel(n.user_id), head + tail))
    return events


async def publish_frames(broker: Broker | None, messages: list[tuple[str, bytes]]) -> None:
    """Events already encoded, to the broker in one call."""
    if broker is None or not messages:
        return
    try:
        await broker.publish_many(messages)
    except Exception:  # stored; the hub asks every socket to resume when the broker is lost
        logger.exception("could not publish %d notification events", len(messages))


async def created_many(
    broker: Broker | None,
    notifications: Sequence[Notification],
    payloads: dict[int, dict[str, Any]],
) -> None:
    """``created`` for many users at once, in one call to the broker (one Redis round trip
    instead of one per user). ``payloads``: every notification's shape, by id."""
    if broker is None or not notifications:
        return
    messages = [
        (
            user_channel(n.user_id),
            encode({"type": "notification", "seq": n.seq, "notification": payloads[n.id]}),
        )
        for n in notifications
    ]
    try:
        await broker.publish_many(messages)
    except Exception:  # stored; the hub asks every socket to resume when the broker is lost
        logger.exception("could not publish %d notification events", len(messages))


async def updated(broker: Broker | None, notification: Notification) -> None:
    await _publish(
        broker,
        notification.user_id,
        {"type": "notification.updated", "notification": notification_payload(notification)},
    )


async def deleted(broker: Broker | None, *, user_id: int, notification_id: int) -> None:
    await _publish(broker, user_id, {"type": "notification.deleted", "id": notification_id})


async def preferences_changed(broker: Broker | None, *, user_id: int) -> None:
    """The user's preferences changed: every process's hub forgets what it cached of them
    (``auto_mark_read``). An internal message, never forwarded to a socket."""
    await _publish(broker, user_id, {"type": PREFERENCES_CHANGED})


async def read_state(
    broker: Broker | None, *, user_id: int, ids: Sequence[int], unread_count: int, read: bool
) -> None:
    if not ids and read:
        return
    await _publish(
        broker,
        user_id,
        {"type": "read" if read else "unread", "ids": list(ids), "unread_count": unread_count},
    )
