"""The closed sets of states: one enum each, the database refuses anything else."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from wakedock.db.base import utcnow
from wakedock.notifications.channels.registry import CHANNEL_TYPES
from wakedock.notifications.models import Broadcast, Delivery, NotificationChannel
from wakedock.notifications.states import (
    BroadcastStatus,
    ChannelKind,
    DeliveryChannel,
    DeliveryStatus,
)

MIGRATION = importlib.import_module("wakedock.db.migrations.versions.0006_states")


def test_every_channel_kind_has_a_sender_and_is_a_delivery_channel() -> None:
    assert set(CHANNEL_TYPES) == set(ChannelKind)
    assert {k.value for k in ChannelKind} <= {c.value for c in DeliveryChannel}


def test_the_migration_checks_exactly_the_values_the_enums_hold() -> None:
    """A member added to an enum without a migration widening its CHECK fails here."""
    assert tuple(DeliveryStatus) == MIGRATION.DELIVERY_STATUSES
    assert tuple(ChannelKind) == MIGRATION.CHANNEL_KINDS
    assert tuple(DeliveryChannel) == MIGRATION.DELIVERY_CHANNELS
    assert tuple(BroadcastStatus) == MIGRATION.BROADCAST_STATUSES


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (Delivery, {"channel_type": "email", "status": "sent"}),
        (Delivery, {"channel_type": "sms", "status": "pending"}),
        (Broadcast, {"status": "done"}),
        (NotificationChannel, {"name": "pager", "type": "pagerduty"}),
    ],
    ids=["delivery-status", "delivery-channel", "broadcast-status", "channel-kind"],
)
async def test_the_database_refuses_a_state_outside_its_set(
    app: Any, table: type[Any], row: dict[str, Any]
) -> None:
    # Core inserts straight to the table: the CHECK constraint, not Python, must refuse.
    now = utcnow()
    required = {
        Delivery: {
            "target": {},
            "attempts": 0,
            "max_attempts": 1,
            "attempt_log": [],
            "run_at": now,
        },
        Broadcast: {"target": {}, "payload": {}, "recipients": 0, "delivered": 0},
        NotificationChannel: {"config": {}, "is_active": True, "updated_at": now},
    }[table]
    values = {**required, "created_at": now, **row}
    if table is Broadcast:
        values["cursor_user_id"] = 0
    async with app.state.sessionmaker() as session:
        with pytest.raises(IntegrityError):
            await session.execute(insert(table.__table__).values(**values))
        await session.rollback()
        count = await session.scalar(select(func.count()).select_from(table))
    assert count == 0


async def test_states_read_back_as_members(app: Any) -> None:
    async with app.state.sessionmaker() as session:
        session.add(Delivery(channel_type=DeliveryChannel.BROADCAST, target={}))
        await session.commit()
        job = (await session.scalars(select(Delivery))).one()
    assert job.status is DeliveryStatus.PENDING
    assert job.channel_type is DeliveryChannel.BROADCAST
