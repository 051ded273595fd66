"""The closed sets of states and names the notification tables hold.

Each is a ``StrEnum`` (members compare equal to their strings, so JSON and SQL see plain text)
and each column holding one carries a CHECK constraint (migration 0006), so a typo in code or
a hand-written ``UPDATE`` cannot store a state nothing else understands.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class DeliveryStatus(StrEnum):
    """A queued delivery's life: pending → running → succeeded, or retrying → … → dead.
    ``cancelled``: its notification was read or deleted before the held push went out."""

    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    DEAD = "dead"
    CANCELLED = "cancelled"


# Claimable when run_at is due; finished for good; may be sent again by an admin.
DUE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
DONE = (DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD, DeliveryStatus.CANCELLED)
RETRYABLE = (DeliveryStatus.DEAD, DeliveryStatus.RETRYING, DeliveryStatus.CANCELLED)


class BroadcastStatus(StrEnum):
    """queued (its fan-out job is waiting) → sending (batches going out) → completed."""

    QUEUED = "queued"
    SENDING = "sending"
    COMPLETED = "completed"


class ScheduledStatus(StrEnum):
    """A scheduled create (ntfy's ``X-Delay``): pending → running (claimed: ``run_at`` is its
    lease) → done, or refused (the sender's credentials went away) or failed."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"


class ChannelKind(StrEnum):
    """The kinds of configured outbound channel (``notification_channels.type``)."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    WEBPUSH = "webpush"
    APPRISE = "apprise"


class DeliveryChannel(StrEnum):
    """What a queued delivery does (``notification_queue.channel_type``): push to a channel of
    one of the kinds above, a live push held by quiet hours, or a broadcast's fan-out job."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    WEBPUSH = "webpush"
    APPRISE = "apprise"
    WEBSOCKET = "websocket"
    BROADCAST = "broadcast"


def state_column(enum: type[StrEnum], *, length: int, name: str) -> Enum:
    """A VARCHAR(length) column of ``enum``'s values with a CHECK constraint named ``name``;
    rows read back as members."""
    return Enum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        create_constraint=True,
        name=name,
    )
