"""scheduled notifications: create requests kept until their time (ntfy's X-Delay)

Revision ID: 0009_scheduled
Revises: 0008_gotify
Create Date: 2026-12-05 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_scheduled"
down_revision: str | Sequence[str] | None = "0008_gotify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scheduled_notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("sender_id", _ID, nullable=False),
        sa.Column("sender_name", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("api_token_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "request", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_scheduled_notifications_sender_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_notifications")),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'refused', 'failed')",
            name=op.f("ck_scheduled_notifications_status"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_scheduled_notifications_due", "scheduled_notifications", ["status", "run_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_notifications_due", table_name="scheduled_notifications")
    op.drop_table("scheduled_notifications")
