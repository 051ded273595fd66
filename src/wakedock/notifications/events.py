"""Real-time events, published on the broker after the commit, on channel ``user:{id}``.

Each event is serialized once, whatever the number of sockets it reaches. The gateway
(wakedock.realtime) forwards these payloads to the user's connections as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Iterator, Sequence
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


# The channel of broadcast pages (``copies``): every hub subscribes to it with ``user:*``.
COPIES_CHANNEL = "copies"
# The internal type of a page of copies (never forwarded as it is).
COPIES = "_copies"
_HEAD = b'{"type":"notification","seq":%s,"notification":{"id":%d,"user_id":%d'


def copy_event(tail: bytes, *, seq: int | None, notification_id: int, user_id: int) -> bytes:
    """The ``created`` event of one copy: the three fields that differ between copies (position,
    id, user) spliced before the content's shared ``tail`` (see ``copies``). The same bytes as
    ``created`` publishes for the row: the shape's first two fields are ``id`` and
    ``user_id``."""
    position = b"null" if seq is None else b"%d" % seq
    return _HEAD % (position, notification_id, user_id) + tail


def copies(contents: Sequence[Sequence[Notification]]) -> bytes | None:
    """One broker message for the ``created`` events of a broadcast's page: copies of each
    content for different users.

    Each content is encoded once, as the tail its events share, with its copies as
    ``[user id, position, id]``; a hub splices each event (``copy_event``) only for the users
    it holds sockets of. A page of 20 broadcasts to 250 users was 5,000 broker messages, each
    decoded by every process's hub whether or not it held that user's socket; it is one."""
    parts = []
    for notifications in contents:
        if not notifications:
            continue
        shape = notification_payload(notifications[0])
        rest = encode({k: v for k, v in shape.items() if k not in ("id", "user_id")})
        tail = b"," + rest[1:] + b"}" if len(rest) > 2 else b"}}"
        rows = [(n.user_id, n.seq, n.id) for n in notifications]
        parts.append({"tail": tail.decode(), "rows": rows})
    return encode({"type": COPIES, "contents": parts}) if parts else None


def read_copies(
    payload: bytes, users: Container[int]
) -> Iterator[tuple[int, int, int | None, bytes]]:
    """The events of a ``copies`` message for ``users`` (the others are skipped before any
    work), as (user id, notification id, position, event), in the order they were stored."""
    for part in orjson.loads(payload)["contents"]:
        tail = part["tail"].encode()
        for user_id, seq, notification_id in part["rows"]:
            if user_id in users:
                event = copy_event(tail, seq=seq, notification_id=notification_id, user_id=user_id)
                yield user_id, notification_id, seq, event


async def publish_copies(broker: Broker | None, contents: Sequence[Sequence[Notification]]) -> None:
    """``copies`` of these contents, to the broker as one message."""
    if broker is None:
        return
    payload = copies(contents)
    if payload is None:
        return
    try:
        await broker.publish(COPIES_CHANNEL, payload)
    except Exception:  # stored; the hub asks every socket to resume when the broker is lost
        logger.exception("could not publish a page of %d contents' events", len(contents))


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
