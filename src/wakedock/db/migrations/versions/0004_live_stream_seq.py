"""live stream positions: notifications.seq and .held, notification_user_state.last_seq

Revision ID: 0004_live_stream_seq
Revises: 0003_dashboards
Create Date: 2026-12-01 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_live_stream_seq"
down_revision: str | Sequence[str] | None = "0003_dashboards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, no batch copy: a copied table would lose SQLite's AUTOINCREMENT (ids
    # are resume points and must never be reused).
    op.add_column("notifications", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column(
        "notifications",
        sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_notifications_user_seq", "notifications", ["user_id", "seq"])
    op.add_column(
        "notification_user_state",
        sa.Column("last_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    # Existing notifications join their user's stream in id order (both engines run UPDATE
    # ... FROM and window functions: PostgreSQL, SQLite 3.33+).
    op.execute(
        "UPDATE notifications SET seq = ranked.position FROM ("
        " SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) AS position"
        " FROM notifications) AS ranked WHERE notifications.id = ranked.id"
    )
    op.execute(
        "INSERT INTO notification_user_state (user_id, replay_floor_id, last_seq)"
        " SELECT user_id, 0, 0 FROM notifications WHERE true GROUP BY user_id"
        " ON CONFLICT (user_id) DO NOTHING"
    )
    op.execute(
        "UPDATE notification_user_state SET last_seq = COALESCE(("
        " SELECT max(seq) FROM notifications"
        " WHERE notifications.user_id = notification_user_state.user_id), 0)"
    )


def downgrade() -> None:
    # SQLite 3.35+ drops columns in place (the table keeps its AUTOINCREMENT).
    op.drop_column("notification_user_state", "last_seq")
    op.drop_index("ix_notifications_user_seq", table_name="notifications")
    op.drop_column("notifications", "held")
    op.drop_column("notifications", "seq")
