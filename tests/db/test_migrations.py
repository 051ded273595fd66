"""Migrations: upgrade → downgrade → upgrade, and the models agree with them (no pending diff)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import require_pg, run_sync
from wakedock.db import migrate
from wakedock.db.engine import create_engine
from wakedock.db.models import Base


async def _diff_and_tables(url: str) -> tuple[list[Any], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def inspect_sync(sync_conn: Any) -> tuple[list[Any], set[str]]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                diff = compare_metadata(context, Base.metadata)
                return diff, set(inspect(sync_conn).get_table_names())

            return await conn.run_sync(inspect_sync)
    finally:
        await engine.dispose()


async def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    base = make_url(require_pg())
    name = f"{base.database}_migrations"
    server = base.set(database="postgres").render_as_string(hide_password=False)
    run_sync(_admin, server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run_sync(_admin, server, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        run_sync(_admin, server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_downgrade_upgrade_and_no_pending_diff(empty_database: str) -> None:
    url = empty_database
    expected = {table.name for table in Base.metadata.sorted_tables}

    migrate.upgrade(url)
    diff, tables = asyncio.run(_diff_and_tables(url))
    assert expected <= tables
    assert diff == [], f"models and migrations disagree: {diff}"

    migrate.downgrade(url, "base")
    _, tables = asyncio.run(_diff_and_tables(url))
    assert tables <= {"alembic_version"}

    migrate.upgrade(url)
    diff, tables = asyncio.run(_diff_and_tables(url))
    assert expected <= tables
    assert diff == []


async def _execute(url: str, statement: str, rows: list[dict[str, Any]] | None = None) -> list[Any]:
    """Run one statement (for each of ``rows``, if given) and commit; returns its rows."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement), rows)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def test_existing_notifications_join_their_users_live_stream_in_id_order(
    empty_database: str,
) -> None:
    """0004 numbers each user's stored notifications 1, 2, 3... by id, and the user's last
    stream position follows, so resumes and new notifications go on from there."""
    url = empty_database
    migrate.upgrade(url, "0003_dashboards")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    users = [
        {"id": uid, "name": f"u{uid}", "email": f"u{uid}@example.test", "now": now}
        for uid in (1, 2)
    ]
    asyncio.run(
        _execute(
            url,
            "INSERT INTO users (id, username, email, password_hash, timezone, is_active,"
            " created_at) VALUES (:id, :name, :email, 'x', 'UTC', true, :now)",
            users,
        )
    )
    notes = [
        {"id": nid, "uid": uid, "now": now} for nid, uid in ((10, 1), (11, 2), (12, 1), (15, 1))
    ]
    asyncio.run(
        _execute(
            url,
            "INSERT INTO notifications (id, user_id, type, priority, title, message, data, read,"
            " created_at) VALUES (:id, :uid, 'info', 'normal', 'n', '', '{}', false, :now)",
            notes,
        )
    )
    migrate.upgrade(url)
    stream = asyncio.run(_execute(url, "SELECT id, seq, held FROM notifications ORDER BY id"))
    assert [tuple(row) for row in stream] == [
        (10, 1, False),
        (11, 1, False),
        (12, 2, False),
        (15, 3, False),
    ]
    state = asyncio.run(
        _execute(url, "SELECT user_id, last_seq FROM notification_user_state ORDER BY user_id")
    )
    assert [tuple(row) for row in state] == [(1, 3), (2, 1)]
