"""gotify applications and clients

Revision ID: 0008_gotify
Revises: 0007_integrations
Create Date: 2026-12-05 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_gotify"
down_revision: str | Sequence[str] | None = "0007_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _owned(table: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        table,
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("api_token_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["api_token_id"],
            ["api_tokens.id"],
            name=op.f(f"fk_{table}_api_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("api_token_id", name=op.f(f"uq_{table}_api_token_id")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_user_id"), ["user_id"], unique=False)


def upgrade() -> None:
    _owned(
        "gotify_applications",
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("default_priority", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=True),
    )
    _owned("gotify_clients")


def downgrade() -> None:
    for table in ("gotify_clients", "gotify_applications"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_user_id"))
        op.drop_table(table)
