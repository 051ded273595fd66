"""states are closed sets: CHECK constraints on delivery/broadcast statuses and channel kinds

Revision ID: 0006_states
Revises: 0005_sealed_secrets
Create Date: 2026-12-05 21:50:00

The values are listed here as they were at this revision (``wakedock.notifications.states``
may grow; a later migration then replaces the constraint). SQLite cannot add a constraint to a
table, so batch mode copies each table once; rows whose value is outside the set would make
the upgrade fail loudly rather than be dropped — no released version wrote any.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_states"
down_revision: str | Sequence[str] | None = "0005_sealed_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELIVERY_STATUSES = ("pending", "running", "retrying", "succeeded", "dead", "cancelled")
CHANNEL_KINDS = ("email", "webhook", "webpush", "apprise")
DELIVERY_CHANNELS = (*CHANNEL_KINDS, "websocket", "broadcast")
BROADCAST_STATUSES = ("queued", "sending", "completed")

# table → [(constraint name as the naming convention spells it, column, allowed values)]
CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "notification_queue": [
        ("ck_notification_queue_channel_type", "channel_type", DELIVERY_CHANNELS),
        ("ck_notification_queue_status", "status", DELIVERY_STATUSES),
    ],
    "notification_broadcasts": [
        ("ck_notification_broadcasts_status", "status", BROADCAST_STATUSES),
    ],
    "notification_channels": [
        ("ck_notification_channels_type", "type", CHANNEL_KINDS),
    ],
}

# Batch mode rebuilds a SQLite table from its reflection, which forgets AUTOINCREMENT.
TABLE_KWARGS = {"notification_queue": {"sqlite_autoincrement": True}}


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS.get(table, {})) as batch:
            for name, column, values in checks:
                batch.create_check_constraint(op.f(name), _condition(column, values))


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS.get(table, {})) as batch:
            for name, _, _ in checks:
                batch.drop_constraint(op.f(name), type_="check")
