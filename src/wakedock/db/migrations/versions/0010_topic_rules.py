"""topic access rules: who may publish to and subscribe to a topic, anonymous publishing

Revision ID: 0010_topic_rules
Revises: 0009_scheduled
Create Date: 2026-12-06 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_topic_rules"
down_revision: str | Sequence[str] | None = "0009_scheduled"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic_access_rules",
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("publish_roles", sa.JSON(), nullable=True),
        sa.Column("subscribe_roles", sa.JSON(), nullable=True),
        sa.Column("anonymous_publish", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_topic_access_rules")),
    )


def downgrade() -> None:
    op.drop_table("topic_access_rules")
