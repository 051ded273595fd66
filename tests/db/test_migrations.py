"""Migrations: upgrade → downgrade → upgrade, and the models agree with them (no pending diff)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.dialects import postgresql

from wakedock.db import migrate
from wakedock.db.engine import create_engine
from wakedock.db.models import Base
from wakedock.vault.keys import Keyring, new_key
from wakedock.vault.sealing import PREFIX, unseal_fields


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


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
CHANNELS = sa.table(
    "notification_channels",
    *(sa.column(c) for c in ("id", "name", "type", "is_active", "created_at", "updated_at")),
    sa.column("config", JSON),
)
SOURCES = sa.table(
    "widget_data_sources",
    *(sa.column(c) for c in ("id", "uid", "name", "kind", "description", "builtin")),
    *(sa.column(c) for c in ("refresh_interval_seconds", "created_at", "updated_at")),
    sa.column("config", JSON),
)
PLAIN_CHANNELS = {
    1: ("email", {"host": "smtp.example.com", "username": "wd", "password": "pw-plain-1"}),
    2: ("webhook", {"url": "https://example.com/h", "secret": "hook-plain-2", "headers": {}}),
    3: ("webhook", {"url": "https://example.com/unsigned"}),
    4: ("webpush", {"vapid_public_key": "pub", "vapid_private_key": "priv-plain-4"}),
    5: ("apprise", {"url": "json://example.com/tok-plain-5"}),
}
PLAIN_SOURCES = {
    1: ("http_json", {"url": "https://example.com/a", "headers": {"Authorization": "Bearer p-6"}}),
    2: ("system", {"disk_paths": ["/"]}),
}
SECRET_VALUES = ("pw-plain-1", "hook-plain-2", "priv-plain-4", "tok-plain-5", "Bearer p-6")


async def _configs(url: str) -> tuple[dict[int, Any], dict[int, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            channels = await conn.execute(sa.select(CHANNELS.c.id, CHANNELS.c.config))
            sources = await conn.execute(sa.select(SOURCES.c.id, SOURCES.c.config))
            return {i: c for i, c in channels}, {i: c for i, c in sources}
    finally:
        await engine.dispose()


async def _insert_plain(url: str) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                CHANNELS.insert(),
                [
                    {"id": i, "name": f"c{i}", "type": kind, "config": config, "is_active": True,
                     "created_at": now, "updated_at": now}
                    for i, (kind, config) in PLAIN_CHANNELS.items()
                ],
            )  # fmt: skip
            await conn.execute(
                SOURCES.insert(),
                [
                    {"id": i, "uid": f"s{i}", "name": f"s{i}", "kind": kind, "description": "",
                     "builtin": False, "refresh_interval_seconds": 30, "config": config,
                     "created_at": now, "updated_at": now}
                    for i, (kind, config) in PLAIN_SOURCES.items()
                ],
            )  # fmt: skip
    finally:
        await engine.dispose()


def test_0005_seals_plaintext_secrets_in_place_and_its_downgrade_opens_them(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Secrets stored in clear before 0005 are sealed by it with the app's keys (here from
    WAKEDOCK_ENCRYPTION_KEYS in the environment, as `alembic` run by hand would find them);
    everything else in the rows stays as it was; downgrading to 0004 gives the plaintext back."""
    url = empty_database
    migrate.upgrade(url, "0004_live_stream_seq")
    asyncio.run(_insert_plain(url))
    key = new_key()
    monkeypatch.setenv("WAKEDOCK_ENCRYPTION_KEYS", key)
    monkeypatch.setenv("WAKEDOCK_DATA_DIR", str(tmp_path / "unused"))
    migrate.upgrade(url)

    channels, sources = asyncio.run(_configs(url))
    stored_text = repr((channels, sources))
    assert not any(secret in stored_text for secret in SECRET_VALUES)
    assert not (tmp_path / "unused").exists()  # the setting's key, no generated file
    ring = Keyring(keys=[key])
    every = ("password", "secret", "vapid_private_key", "url", "headers")  # plaintext passes
    for plain, now_stored in ((PLAIN_CHANNELS, channels), (PLAIN_SOURCES, sources)):
        for row_id, (_kind, config) in plain.items():
            assert unseal_fields(ring, now_stored[row_id], every) == config
    assert channels[3] == PLAIN_CHANNELS[3][1]  # nothing secret: untouched
    assert channels[2]["url"] == "https://example.com/h"
    assert channels[2]["secret"].startswith(PREFIX)
    assert sources[1]["headers"]["Authorization"].startswith(PREFIX)
    assert sources[2] == PLAIN_SOURCES[2][1]

    migrate.downgrade(url, "0004_live_stream_seq", keyring=ring)
    channels, sources = asyncio.run(_configs(url))
    assert channels == {i: config for i, (_k, config) in PLAIN_CHANNELS.items()}
    assert sources == {i: config for i, (_k, config) in PLAIN_SOURCES.items()}


def test_0005_with_a_key_file_from_the_caller_creates_it_only_when_there_is_a_secret(
    empty_database: str, tmp_path: Path
) -> None:
    """A new database needs no key; the caller's keyring (`wakedock migrate` passes the
    settings') seals what there is, creating the data dir's keys file then."""
    url = empty_database
    ring = Keyring(path=tmp_path / "data" / "encryption_keys")
    migrate.upgrade(url, "0004_live_stream_seq", keyring=ring)
    migrate.upgrade(url, keyring=ring)
    assert ring.path is not None
    assert not ring.path.exists()
    migrate.downgrade(url, "0004_live_stream_seq", keyring=ring)
    asyncio.run(_insert_plain(url))
    migrate.upgrade(url, keyring=ring)
    assert ring.path.exists()
    channels, _ = asyncio.run(_configs(url))
    assert unseal_fields(ring, channels[1], ["password"])["password"] == "pw-plain-1"
    assert "pw-plain-1" not in repr(channels)


def test_0011_keeps_every_row_that_refers_to_a_notification_and_the_id_counter(
    empty_database: str,
) -> None:
    """0011 rebuilds ``notifications`` on SQLite to drop a UNIQUE constraint: the delivery queue's
    rows that refer to a notification (ON DELETE CASCADE) survive it both ways, ids are never
    given twice (the counter stays above a deleted newest row), and the key stays unique."""
    url = empty_database
    migrate.upgrade(url, "0010_topic_rules")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    asyncio.run(
        _execute(
            url,
            "INSERT INTO users (id, username, email, password_hash, timezone, is_active,"
            " created_at) VALUES (1, 'u1', 'u1@example.test', 'x', 'UTC', true, :now)",
            [{"now": now}],
        )
    )
    asyncio.run(
        _execute(
            url,
            "INSERT INTO notifications (id, user_id, sender_id, idempotency_key, type, priority,"
            " title, message, data, read, created_at, held) VALUES (:id, 1, 1, :key, 'info',"
            " 'normal', 'n', '', '{}', false, :now, false)",
            [{"id": nid, "key": key, "now": now} for nid, key in ((1, "k1"), (2, None), (3, None))],
        )
    )
    asyncio.run(
        _execute(
            url,
            "INSERT INTO notification_queue (notification_id, user_id, channel_type, status,"
            " attempts, max_attempts, run_at, created_at, target, attempt_log) VALUES (2, 1,"
            " 'email', 'pending', 0, 5, :now, :now, '{}', '[]')",
            [{"now": now}],
        )
    )
    asyncio.run(_execute(url, "DELETE FROM notifications WHERE id = 3"))
    queued = "SELECT notification_id FROM notification_queue"
    for step in ("upgrade", "downgrade", "upgrade"):
        if step == "upgrade":
            migrate.upgrade(url)
        else:
            migrate.downgrade(url, "0010_topic_rules")
        assert [tuple(r) for r in asyncio.run(_execute(url, queued))] == [(2,)], step
    if url.startswith("sqlite"):  # AUTOINCREMENT's counter (PostgreSQL's sequence is untouched)
        added = asyncio.run(
            _execute(
                url,
                "INSERT INTO notifications (user_id, type, priority, title, message, data, read,"
                " created_at, held) VALUES (1, 'info', 'normal', 'n', '', '{}', false,"
                " '2026-12-01 00:00:00.000000', false) RETURNING id",
            )
        )
        assert [tuple(r) for r in added] == [(4,)]
    with pytest.raises(sa.exc.IntegrityError):
        asyncio.run(
            _execute(
                url,
                "INSERT INTO notifications (user_id, sender_id, idempotency_key, type, priority,"
                " title, message, data, read, created_at, held) VALUES (1, 1, 'k1', 'info',"
                " 'normal', 'n', '', '{}', false, :now, false)",
                [{"now": now}],
            )
        )
