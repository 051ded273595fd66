"""Without a shared broker one process owns a database (``ops.claim``): a second `wakedock
serve` (or `wakedock worker`) on it is refused with a message saying what runs and what to set,
on SQLite and PostgreSQL; with Redis both start; the claim ends with its process."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_pg, require_redis
from tests.test_cli import WAKEDOCK, run, stop_server
from wakedock.ops import claim

# Starts `wakedock serve` processes: each takes seconds (more on a busy machine).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def env_for(tmp_path: Path, name: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env.update(WAKEDOCK_DATA_DIR=str(tmp_path / name), COLUMNS="200", **extra)
    return env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """Start `wakedock serve` and wait (up to two minutes: a busy machine) until it answers."""
    proc = subprocess.Popen(
        [*WAKEDOCK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    stop_server(proc)
    raise AssertionError("server did not become healthy")


def assert_refused(result: subprocess.CompletedProcess[str], command: str) -> None:
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert "already uses this database without a shared broker" in message
    assert f"{command} (pid " in message  # who holds it
    assert "WAKEDOCK_REDIS_URL" in message


def test_a_second_server_on_one_sqlite_file_is_refused_until_the_first_stops(
    tmp_path: Path,
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first_env = env_for(tmp_path, "a", WAKEDOCK_DATABASE_URL=database)
    first = start_server(first_env, free_port())
    try:
        # Another data dir, the same database file: still refused.
        second_env = env_for(tmp_path, "b", WAKEDOCK_DATABASE_URL=database)
        assert_refused(run(second_env, "serve", "--port", str(free_port())), "wakedock serve")
        # A worker would publish into a broker nobody listens to: refused as well.
        assert_refused(run(second_env, "worker", "--burst"), "wakedock serve")
    finally:
        stop_server(first)
    # The claim ended with the process: the next one starts (and holds it in turn).
    again = start_server(env_for(tmp_path, "b", WAKEDOCK_DATABASE_URL=database), free_port())
    stop_server(again)


def test_the_default_data_dir_database_is_claimed_too(tmp_path: Path) -> None:
    env = env_for(tmp_path, "data")
    first = start_server(env, free_port())
    try:
        assert_refused(run(env, "serve", "--port", str(free_port())), "wakedock serve")
        assert (tmp_path / "data" / "wakedock.db.claim").exists()
    finally:
        stop_server(first)


@pytest.mark.postgres
def test_a_second_server_on_one_postgresql_database_is_refused_until_the_first_stops(
    tmp_path: Path, pg_migrated: str
) -> None:
    env = env_for(tmp_path, "a", WAKEDOCK_DATABASE_URL=pg_migrated)
    first = start_server(env, free_port())
    try:
        assert_refused(
            run(env_for(tmp_path, "b", WAKEDOCK_DATABASE_URL=pg_migrated), "serve"),
            "wakedock serve",
        )
    finally:
        stop_server(first)
    # The server released its connection, and with it the lock: a worker may run now.
    burst = run(env_for(tmp_path, "b", WAKEDOCK_DATABASE_URL=pg_migrated), "worker", "--burst")
    assert burst.returncode == 0, burst.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_with_a_shared_broker_several_servers_start_on_one_database(
    tmp_path: Path, pg_migrated: str
) -> None:
    require_pg()
    redis_url = require_redis()
    shared = {"WAKEDOCK_DATABASE_URL": pg_migrated, "WAKEDOCK_REDIS_URL": redis_url}
    servers = []
    try:
        for name in ("a", "b"):
            servers.append(start_server(env_for(tmp_path, name, **shared), free_port()))
        assert all(server.poll() is None for server in servers)
    finally:
        for server in servers:
            stop_server(server)


def test_an_in_memory_database_claims_nothing_and_a_file_claim_is_exclusive(
    tmp_path: Path,
) -> None:
    assert claim.claim_database("sqlite+aiosqlite:///:memory:", command="x")._file is None
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    held = claim.claim_database(url, command="first")
    with pytest.raises(claim.ClaimHeld) as refused:
        claim.claim_database(url, command="second")
    assert refused.value.holder.startswith(f"first (pid {os.getpid()} on ")
    held.release()
    claim.claim_database(url, command="second").release()
