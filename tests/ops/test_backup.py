"""Backup while a real server serves and writes, restore into a new data dir, start from it."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from functools import partial
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_PASSWORD, free_port, make_settings, require_pg, skip_or_fail
from tests.db.conftest import _admin
from tests.realtime.conftest import Server, server_env
from wakedock.db import migrate
from wakedock.main import create_app
from wakedock.ops.backup import BackupError, backup
from wakedock.ops.restore import read_archive, restore
from wakedock.settings import Settings
from wakedock.vault import stored
from wakedock.vault.keys import Keyring
from wakedock.vault.sealing import unseal

WAKEDOCK = [sys.executable, "-m", "wakedock"]
HEAD = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
WRITERS = 4


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WAKEDOCK, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def data_env(tmp: Path, data_dir: Path) -> dict[str, str]:
    env = server_env(tmp, WAKEDOCK_DATA_DIR=str(data_dir))
    del env["WAKEDOCK_SECRET_KEY"]  # the data dir's generated key: the backup must carry it
    return env


async def _writer(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    done: list[tuple[int, float]],
    stop: asyncio.Event,
) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        response = await client.post(
            "/api/notifications", json={"title": f"load {n}"}, headers=headers
        )
        assert response.status_code == 201, response.text
        done.append((response.json()["id"], time.monotonic()))


@pytest.mark.slow  # two `wakedock serve` processes and the CLI
@pytest.mark.timeout(240)
def test_backup_under_write_load_restores_every_committed_notification(tmp_path: Path) -> None:
    source_dir = tmp_path / "live"
    env = data_env(tmp_path, source_dir)
    server = Server(port=free_port(), env=env, log=tmp_path / "server.log").start()
    archive = tmp_path / "backup.tar.gz"
    try:
        base = server.http
        tokens = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()
        session = {"Authorization": f"Bearer {tokens['access_token']}"}
        api_token = httpx.post(
            f"{base}/api/auth/api-tokens", json={"name": "script"}, headers=session
        ).json()["token"]
        channel = httpx.post(
            f"{base}/api/notifications/channels",
            json={
                "name": "hook",
                "type": "webhook",
                "config": {"url": "https://hooks.example/x", "secret": "hook-secret-123"},
            },
            headers=session,
        )
        assert channel.status_code == 201, channel.text

        async def load() -> tuple[set[int], int, subprocess.CompletedProcess[bytes]]:
            done: list[tuple[int, float]] = []
            stop = asyncio.Event()
            headers = {"Authorization": f"Bearer {api_token}"}
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                writers = [
                    asyncio.create_task(_writer(client, headers, done, stop))
                    for _ in range(WRITERS)
                ]
                while len(done) < 50:  # the load is running
                    await asyncio.sleep(0.01)
                started = time.monotonic()
                committed = {nid for nid, at in done if at < started}
                proc = await asyncio.create_subprocess_exec(
                    *WAKEDOCK,
                    "backup",
                    str(archive),
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                out, err = await proc.communicate()
                finished = time.monotonic()
                stop.set()
                await asyncio.gather(*writers)
            during = sum(1 for _, at in done if started <= at <= finished)
            result = subprocess.CompletedProcess(["backup"], proc.returncode or 0, out, err)
            return committed, during, result

        committed, during, result = asyncio.run(load())
        assert result.returncode == 0, result.stderr.decode()
        assert during > 0, "the server went on writing while the backup ran"
    finally:
        server.stop()

    assert archive.stat().st_mode & 0o777 == 0o600
    manifest, contents = read_archive(archive)
    assert manifest["database"] == {"backend": "sqlite", "alembic_revision": HEAD}
    assert sorted(contents) == ["encryption_keys", "secret_key", "wakedock.db"]

    restored = tmp_path / "restored"
    env2 = data_env(tmp_path, restored)
    result2 = cli(env2, "restore", str(archive), "--data-dir", str(restored))
    assert result2.returncode == 0, result2.stderr
    with sqlite3.connect(restored / "wakedock.db") as db:
        ids = {row[0] for row in db.execute("SELECT id FROM notifications")}
        (sealed,) = db.execute(
            "SELECT config FROM notification_channels WHERE name='hook'"
        ).fetchone()
    assert committed <= ids, f"{len(committed - ids)} committed notifications lost"
    secret = json.loads(sealed)["secret"]
    keyring = Keyring(path=restored / "encryption_keys")
    assert unseal(keyring, secret, field="secret") == "hook-secret-123"

    # The app starts on the restored dir; the session's JWT (secret key) and the API token hold.
    again = Server(port=free_port(), env=env2, log=tmp_path / "restored.log").start()
    try:
        for headers in (session, {"Authorization": f"Bearer {api_token}"}):
            me = httpx.get(f"{again.http}/api/auth/me", headers=headers)
            assert me.status_code == 200, me.text
        latest = max(committed)
        got = httpx.get(f"{again.http}/api/notifications/{latest}", headers=session)
        assert got.status_code == 200, got.text
    finally:
        again.stop()


def _archive(path: Path, members: dict[str, bytes], manifest: dict[str, object]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def good_archive(tmp_path: Path, no_env_leak: None) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("k" * 64)
    settings = Settings(data_dir=data_dir)
    migrate.upgrade(settings.resolved_database_url)
    report = backup(settings, tmp_path / "good.tar.gz")
    assert any("encryption_keys" in note for note in report.notes)  # not created yet: said so
    return report.path


def test_restore_refuses_a_non_empty_dir_and_damaged_or_crafted_archives(
    tmp_path: Path, good_archive: Path
) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "x").write_text("mine")
    with pytest.raises(BackupError, match="not empty"):
        restore(good_archive, occupied)
    assert (occupied / "x").read_text() == "mine"

    manifest, contents = read_archive(good_archive)
    members = {f"data/{name}": data for name, data in contents.items()}
    damaged = dict(members, **{"data/secret_key": b"x" * 64})
    crafted = {
        "bad checksum": _archive(tmp_path / "a.tgz", damaged, manifest),
        "extra file": _archive(tmp_path / "b.tgz", {**members, "../evil": b"x"}, manifest),
        "missing file": _archive(
            tmp_path / "c.tgz", {k: v for k, v in members.items() if "db" not in k}, manifest
        ),
        "unknown name": _archive(
            tmp_path / "d.tgz",
            {"data/../../evil": b"x"},
            {**manifest, "files": [{"name": "../../evil", "size": 1, "sha256": "0"}]},
        ),
        "other format": _archive(tmp_path / "e.tgz", members, {**manifest, "format": 99}),
    }
    for what, path in crafted.items():
        target = tmp_path / f"target-{path.stem}"
        with pytest.raises(BackupError):
            restore(path, target)
        assert not target.exists(), what
    assert not (tmp_path.parent / "evil").exists()
    assert not list(tmp_path.glob(".target-*")), "no staging dir left behind"

    empty = tmp_path / "empty"
    empty.mkdir()
    report = restore(good_archive, empty)
    assert report.files == ["secret_key", "wakedock.db"]
    assert (empty / "secret_key").read_text() == "k" * 64
    assert (empty / "secret_key").stat().st_mode & 0o777 == 0o600


def test_backup_refuses_to_overwrite_and_postgresql_carries_keys_only(
    tmp_path: Path, good_archive: Path, request: pytest.FixtureRequest
) -> None:
    env = data_env(tmp_path, tmp_path / "data")
    again = cli(env, "backup", str(good_archive))
    assert again.returncode == 1
    assert "exists" in again.stderr
    require_pg()
    url: str = request.getfixturevalue("pg_migrated")
    settings = Settings(data_dir=tmp_path / "pgdata", database_url=url)
    report = backup(settings, tmp_path / "pg.tar.gz")
    assert any("pg_dump" in note for note in report.notes)
    manifest, contents = read_archive(report.path)
    assert manifest["database"] == {"backend": "postgresql", "alembic_revision": report.revision}
    assert report.revision == HEAD
    assert "wakedock.db" not in contents


async def _tool(*args: str) -> None:
    """Run a PostgreSQL client tool off the event loop (the app under test keeps running)."""
    run = partial(subprocess.run, args, check=True, timeout=40, stdin=subprocess.DEVNULL)
    await asyncio.to_thread(run)


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_postgresql_pg_dump_and_the_keys_archive_restore_a_working_instance(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    settings: Settings,
    tmp_path: Path,
) -> None:
    """The procedure of docs/operations.md for PostgreSQL: `wakedock backup` (the keys),
    `pg_dump --format=custom`, then `pg_restore` into a new database and `wakedock restore`
    into a new data dir: tokens and sealed secrets work on the copy."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} missing (Debian package postgresql-client)")
    token = (
        await client.post("/api/auth/api-tokens", json={"name": "s"}, headers=admin_headers)
    ).json()["token"]
    channel = await client.post(
        "/api/notifications/channels",
        json={
            "name": "hook",
            "type": "webhook",
            "config": {"url": "https://h.example/x", "secret": "s3cret-value"},
        },
        headers=admin_headers,
    )
    assert channel.status_code == 201, channel.text
    note = await client.post("/api/notifications", json={"title": "kept"}, headers=admin_headers)
    assert note.status_code == 201

    keys = await asyncio.to_thread(backup, settings, tmp_path / "keys.tar.gz")
    assert keys.files == ["secret_key", "encryption_keys"]
    source = make_url(settings.resolved_database_url)
    libpq = source.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = tmp_path / "wakedock.dump"
    await _tool("pg_dump", "--format=custom", f"--file={dump}", libpq)

    name = f"{source.database}_restored"
    server = source.set(database="postgres").render_as_string(hide_password=False)
    await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        target = source.set(database=name)
        restored_url = target.set(drivername="postgresql").render_as_string(hide_password=False)
        await _tool("pg_restore", "--no-owner", "--dbname", restored_url, str(dump))
        restored_dir = tmp_path / "restored"
        restore(keys.path, restored_dir)
        copy = make_settings(
            restored_dir, target.render_as_string(hide_password=False), admin_password=None
        )
        app = create_app(copy)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://wd.test") as c:
                for headers in (admin_headers, {"Authorization": f"Bearer {token}"}):
                    me = await c.get("/api/auth/me", headers=headers)
                    assert me.status_code == 200, me.text
                got = await c.get(f"/api/notifications/{note.json()['id']}", headers=admin_headers)
                assert got.json()["title"] == "kept"
            async with app.state.sessionmaker() as session:
                report = await stored.check(session, copy.keyring)
        assert (report.sealed, report.unreadable) == (1, [])
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
