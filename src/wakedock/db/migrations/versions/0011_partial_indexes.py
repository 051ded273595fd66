"""partial indexes on notifications: group_key, expires_at and the idempotency key

Revision ID: 0011_partial_indexes
Revises: 0010_topic_rules
Create Date: 2026-12-06 11:00:00

Three indexes of ``notifications`` now hold only the rows that have their column (most rows,
a broadcast's copies among them, have none of the three): ``ix_notifications_user_group``,
``ix_notifications_expires_at`` and the uniqueness of (sender, idempotency key, user), which
becomes a partial unique index of the same name. NULL keys were never constrained (NULLs are
distinct in a UNIQUE), so what is allowed does not change.

SQLite cannot drop a table's UNIQUE constraint: batch mode copies the table once, following
SQLite's own procedure for changing a table: foreign keys off, in one transaction, checked
before the commit. With them on, dropping the old table would delete every row that refers to
a notification (ON DELETE CASCADE: the delivery queue). Batch mode rebuilds the table from its
reflection, which forgets AUTOINCREMENT, and the copy would restart the id counter at the
largest id left (ids are resume points and are never given twice): both are restored.
"""

from collections.abc import Sequence
from typing import Any

from alembic import op
from sqlalchemy import text

revision: str = "0011_partial_indexes"
down_revision: str | Sequence[str] | None = "0010_topic_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "notifications"
UNIQUE = "uq_notifications_sender_id_idempotency_key_user_id"
UNIQUE_COLUMNS = ["sender_id", "idempotency_key", "user_id"]
# (index, columns, the column a partial one requires)
INDEXES = [
    ("ix_notifications_user_group", ["user_id", "group_key"], "group_key"),
    ("ix_notifications_expires_at", ["expires_at"], "expires_at"),
]


def _where(column: str) -> dict[str, Any]:
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


def _change_unique(change: str) -> None:
    """Drop (``change`` "drop") or add ("add") the table's UNIQUE constraint."""
    if op.get_bind().dialect.name != "sqlite":
        if change == "drop":
            op.drop_constraint(UNIQUE, TABLE, type_="unique")
        else:
            op.create_unique_constraint(UNIQUE, TABLE, UNIQUE_COLUMNS)
        return
    # SQLite reads ``foreign_keys`` only outside a transaction: this step runs in its own.
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            bind.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                counter = bind.execute(
                    text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": TABLE}
                ).scalar()
                with op.batch_alter_table(
                    TABLE, table_kwargs={"sqlite_autoincrement": True}
                ) as batch:
                    if change == "drop":
                        batch.drop_constraint(UNIQUE, type_="unique")
                    else:
                        batch.create_unique_constraint(UNIQUE, UNIQUE_COLUMNS)
                if counter is not None:
                    bind.execute(
                        text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :name"),
                        {"seq": counter, "name": TABLE},
                    )
                broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
            except BaseException:
                bind.exec_driver_sql("ROLLBACK")
                raise
            bind.exec_driver_sql("COMMIT")
        finally:
            bind.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    _change_unique("drop")
    op.create_index(UNIQUE, TABLE, UNIQUE_COLUMNS, unique=True, **_where("idempotency_key"))
    for name, columns, column in INDEXES:
        op.drop_index(name, table_name=TABLE)
        op.create_index(name, TABLE, columns, **_where(column))


def downgrade() -> None:
    for name, columns, _ in INDEXES:
        op.drop_index(name, table_name=TABLE)
        op.create_index(name, TABLE, columns)
    op.drop_index(UNIQUE, table_name=TABLE)
    _change_unique("add")
