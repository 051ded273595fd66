"""Upgrade in place: a database of the first release of the migrations (0001_foundation), with
its users, roles, sessions, refresh and API tokens and audit trail, upgraded to head, serves
them all — on SQLite and PostgreSQL. And `wakedock migrate --check` tells what is pending."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.conftest import bearer, make_settings
from wakedock.auth.passwords import hash_password_sync
from wakedock.auth.tokens import sha256
from wakedock.db import migrate
from wakedock.db.engine import create_engine
from wakedock.main import create_app
from wakedock.ops import schema

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
API_TOKEN = "wdk_" + "a" * 43
REFRESH_TOKEN = "wdr_" + "b" * 43


async def _seed_0001(url: str) -> None:
    rows: list[tuple[str, list[dict[str, Any]]]] = [
        (
            "INSERT INTO users (id, username, email, password_hash, is_active, timezone,"
            " created_at) VALUES (:id, :u, :e, :h, :a, :tz, :now)",
            [
                {"id": 1, "u": "admin", "e": "admin@example.com", "a": True, "tz": "UTC"},
                {"id": 2, "u": "alice", "e": "alice@example.com", "a": True, "tz": "Europe/Paris"},
                {"id": 3, "u": "gone", "e": "gone@example.com", "a": False, "tz": "UTC"},
            ],
        ),
        (
            "INSERT INTO user_roles (user_id, role) VALUES (:user_id, :role)",
            [
                {"user_id": 1, "role": "admin"},
                {"user_id": 2, "role": "user"},
                {"user_id": 3, "role": "user"},
            ],
        ),
        (
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, scopes, created_at)"
            " VALUES (1, 2, 'backup-script', :prefix, :hash, NULL, :now)",
            [{"prefix": API_TOKEN[:12], "hash": sha256(API_TOKEN)}],
        ),
        (
            "INSERT INTO auth_sessions (id, user_id, created_at) VALUES (:sid, 2, :now)",
            [{"sid": "00000000-0000-4000-8000-000000000001"}],
        ),
        (
            "INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)"
            " VALUES (:sid, :hash, :now, :exp)",
            [
                {
                    "sid": "00000000-0000-4000-8000-000000000001",
                    "hash": sha256(REFRESH_TOKEN),
                    "exp": datetime.now(UTC) + timedelta(days=30),
                }
            ],
        ),
        (
            "INSERT INTO audit_events (at, actor_id, actor_name, action, success, details)"
            " VALUES (:now, 1, 'admin', 'user.create', true, '{}')",
            [{}],
        ),
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement, params in rows:
                for row in params:
                    row.setdefault("now", NOW)
                    if "u" in row:
                        row["h"] = hash_password_sync(f"{row['u']}-password")
                await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


_COUNTS = {t: text(f"SELECT count(*) FROM {t}") for t in ("users", "audit_events")}  # noqa: S608


async def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(_COUNTS[table])).scalar_one())
    finally:
        await engine.dispose()


async def _use_upgraded(url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data", url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wd.test") as client:
            # The API token of 0001 still authenticates, as its user, with their role.
            me = await client.get("/api/auth/me", headers=bearer(API_TOKEN))
            assert me.status_code == 200, me.text
            assert me.json()["username"] == "alice"
            assert me.json()["timezone"] == "Europe/Paris"
            # The refresh token of the 0001 session still rotates into a new pair.
            refreshed = await client.post(
                "/api/auth/refresh", json={"refresh_token": REFRESH_TOKEN}
            )
            assert refreshed.status_code == 200, refreshed.text
            # The passwords still verify; the disabled user stays disabled.
            login = await client.post(
                "/api/auth/login", json={"username": "admin", "password": "admin-password"}
            )
            assert login.status_code == 200, login.text
            admin = bearer(login.json()["access_token"])
            refused = await client.post(
                "/api/auth/login", json={"username": "gone", "password": "gone-password"}
            )
            assert refused.status_code == 401
            # The tables of later migrations work for the old users.
            sent = await client.post(
                "/api/notifications",
                json={"title": "after the upgrade", "user_id": 2},
                headers=admin,
            )
            assert sent.status_code == 201, sent.text
            listed = await client.get("/api/notifications", headers=bearer(API_TOKEN))
            assert [n["title"] for n in listed.json()["items"]] == ["after the upgrade"]


def test_a_0001_database_upgrades_to_head_with_its_data(
    empty_database: str, tmp_path: Path
) -> None:
    url = empty_database
    migrate.upgrade(url, "0001_foundation")
    asyncio.run(_seed_0001(url))

    before = schema.status(url)
    assert before.current == ("0001_foundation",)
    assert before.pending[0] == "0002_notifications"
    assert before.pending[-1] == before.heads[0]
    assert before.exit_code == schema.EXIT_PENDING

    migrate.upgrade(url)
    after = schema.status(url)
    assert after.up_to_date
    assert after.exit_code == schema.EXIT_UP_TO_DATE
    assert asyncio.run(_count(url, "users")) == 3
    assert asyncio.run(_count(url, "audit_events")) >= 1
    asyncio.run(_use_upgraded(url, tmp_path))


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wakedock", "migrate", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_check_exit_codes(tmp_path: Path) -> None:
    """0 at head, 3 with the pending migrations listed, 4 for a revision this version does not
    know (a newer WakeDock's database); never creates a missing database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env["WAKEDOCK_DATA_DIR"] = str(tmp_path / "data")
    database = tmp_path / "data" / "wakedock.db"
    url = f"sqlite+aiosqlite:///{database}"

    fresh = _check(env)
    assert fresh.returncode == schema.EXIT_PENDING, fresh.stdout + fresh.stderr
    assert "pending: 0001_foundation" in fresh.stdout
    assert not database.exists()

    migrate.upgrade(url, "0003_dashboards")
    partial = _check(env)
    assert partial.returncode == schema.EXIT_PENDING
    assert "pending: 0004_live_stream_seq" in partial.stdout
    assert "pending: 0003_dashboards" not in partial.stdout

    migrate.upgrade(url)
    assert _check(env).returncode == schema.EXIT_UP_TO_DATE

    async def stamp_future() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        await engine.dispose()

    asyncio.run(stamp_future())
    newer = _check(env)
    assert newer.returncode == schema.EXIT_UNKNOWN_REVISION
    assert "9999_future" in newer.stderr
