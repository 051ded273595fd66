"""Rows read by id in one statement (``db.rows.by_ids``), and the partial indexes of
``notifications`` (migration 0011) still serving the queries that name their column."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.dialects import sqlite

from wakedock.auth.models import User
from wakedock.db.engine import create_engine, create_sessionmaker
from wakedock.db.rows import by_ids
from wakedock.notifications.models import Notification


async def test_by_ids_reads_in_the_order_given_and_leaves_out_the_missing(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            users = [
                User(username=f"rows{i}", email=f"rows{i}@example.test", password_hash="x")
                for i in range(3)
            ]
            session.add_all(users)
            await session.commit()
            a, b, c = (u.id for u in users)
            statements: list[str] = []

            def record(*args: Any) -> None:
                statements.append(str(args[2]))

            event.listen(engine.sync_engine, "before_cursor_execute", record)
            session.expunge_all()
            found = await by_ids(session, User, [c, a, 10_000_000, b])
            assert [u.username for u in found] == ["rows2", "rows0", "rows1"]
            # One statement for the users, not one per id (their roles load with them).
            assert len([s for s in statements if "FROM users" in s]) == 1
            assert await by_ids(session, User, []) == []
    finally:
        await engine.dispose()


def _plan(path: Path, statement: Any) -> str:
    import sqlite3

    compiled = statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
    finally:
        connection.close()
    return " | ".join(str(row[3]) for row in rows)


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (
            select(Notification.id).where(
                Notification.sender_id == 1, Notification.idempotency_key == "k"
            ),
            "uq_notifications_sender_id_idempotency_key_user_id",
        ),
        (
            delete(Notification).where(
                Notification.user_id.in_([1, 2]),
                Notification.group_key == "g",
                Notification.read.is_(False),
            ),
            "ix_notifications_user_group",
        ),
        (
            select(Notification.id).where(
                Notification.expires_at.is_not(None),
                Notification.expires_at <= text("'2026-12-06 00:00:00.000000'"),
            ),
            "ix_notifications_expires_at",
        ),
        (
            update(Notification)
            .where(
                Notification.sender_id == 1,
                Notification.idempotency_key == "k",
                Notification.created_at < text("'2026-12-05 00:00:00.000000'"),
            )
            .values(idempotency_key=None),
            "uq_notifications_sender_id_idempotency_key_user_id",
        ),
    ],
    ids=["idempotent-replay", "group-replacement", "expiry-purge", "key-given-back"],
)
def test_the_partial_indexes_serve_the_queries_that_name_their_column(
    sqlite_template: Path, tmp_path: Path, statement: Any, index: str
) -> None:
    path = tmp_path / "plans.db"
    shutil.copy(sqlite_template, path)
    assert index in _plan(path, statement)


def test_the_partial_indexes_hold_only_rows_with_their_column(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """A row without group key, expiry or key enters none of the three (what makes a
    broadcast's copies cheaper); one with them enters each."""
    import sqlite3

    path = tmp_path / "entries.db"
    shutil.copy(sqlite_template, path)
    connection = sqlite3.connect(path)
    try:
        connection.execute(
            "INSERT INTO users (id, username, email, password_hash, is_active, timezone,"
            " created_at) VALUES (1, 'u', 'u@example.test', 'x', 1, 'UTC', '2026-12-06')"
        )
        insert = (
            "INSERT INTO notifications (user_id, sender_id, type, priority, title, message, data,"
            " read, created_at, held, group_key, expires_at, idempotency_key) VALUES"
            " (1, 1, 'info', 'normal', 't', '', '{}', 0, '2026-12-06', 0, ?, ?, ?)"
        )
        connection.execute(insert, (None, None, None))
        connection.execute(insert, ("g", "2026-12-07", "k"))
        column = {
            "ix_notifications_user_group": "group_key",
            "ix_notifications_expires_at": "expires_at",
            "uq_notifications_sender_id_idempotency_key_user_id": "idempotency_key",
        }
        for name, name_of_column in column.items():
            count = f"SELECT count(*) FROM notifications INDEXED BY {name} WHERE {name_of_column}"  # noqa: S608
            assert connection.execute(f"{count} IS NOT NULL").fetchone() == (1,), name
            # The row without the column is not in the index: SQLite cannot find it there.
            with pytest.raises(sqlite3.OperationalError, match="no query solution"):
                connection.execute(f"{count} IS NULL").fetchone()
    finally:
        connection.close()
