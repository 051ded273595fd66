"""The wakedock command line, run as real subprocesses against a real database."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import free_port
from wakedock.vault.keys import parse_keys

WAKEDOCK = [sys.executable, "-m", "wakedock"]


def run(
    env: dict[str, str], *args: str, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WAKEDOCK, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input=input_text,
        check=False,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env["WAKEDOCK_DATA_DIR"] = str(tmp_path / "data")
    env["COLUMNS"] = "200"
    return env


def test_version_and_migrate(cli_env: dict[str, str]) -> None:
    version = run(cli_env, "version")
    assert version.returncode == 0
    assert re.match(r"^\d+\.\d+", version.stdout.strip())
    migrated = run(cli_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert (Path(cli_env["WAKEDOCK_DATA_DIR"]) / "wakedock.db").exists()


def test_user_commands(cli_env: dict[str, str]) -> None:
    created = run(
        cli_env,
        "user",
        "create",
        "ops",
        "--email",
        "ops@example.com",
        "--password",
        "ops-password",
        "--role",
        "operator",
    )
    assert created.returncode == 0, created.stderr
    assert "created user" in created.stdout

    duplicate = run(
        cli_env, "user", "create", "ops", "--email", "x@example.com", "--password", "ops-password"
    )
    assert duplicate.returncode == 1
    assert "already taken" in duplicate.stderr

    bad_role = run(
        cli_env,
        "user",
        "create",
        "x",
        "--email",
        "x@example.com",
        "--password",
        "pw-long-1",
        "--role",
        "root",
    )
    assert bad_role.returncode == 2
    bad_email = run(cli_env, "user", "create", "x", "--email", "nope", "--password", "pw-long-1")
    assert bad_email.returncode == 2
    assert "email" in bad_email.stderr
    short = run(cli_env, "user", "create", "x", "--email", "x@example.com", "--password", "short")
    assert short.returncode == 2

    home = run(
        cli_env, "user", "create", "nas", "--email", "nas@box.local", "--password", "pw-long-1"
    )
    assert home.returncode == 0, home.stderr  # home-network domains are addresses too

    listing = run(cli_env, "user", "list")
    assert listing.returncode == 0
    assert "ops@example.com" in listing.stdout
    assert "nas@box.local" in listing.stdout
    assert "operator" in listing.stdout
    assert "x@example.com" not in listing.stdout

    assert (
        run(cli_env, "user", "set-password", "ops", "--password", "new-password-1").returncode == 0
    )
    assert (
        run(cli_env, "user", "set-password", "ghost", "--password", "new-password-1").returncode
        == 1
    )
    assert run(cli_env, "user", "disable", "ops").returncode == 0
    assert run(cli_env, "user", "disable", "ghost").returncode == 1
    assert "\tno\t" in run(cli_env, "user", "list").stdout  # a pipe: tab-separated


def test_bad_settings_exit_non_zero(cli_env: dict[str, str]) -> None:
    result = run({**cli_env, "WAKEDOCK_PORT": "not-a-port"}, "migrate")
    assert result.returncode == 2
    assert "invalid settings" in result.stderr


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """Start `wakedock serve` and wait until it answers /api/health."""
    proc = subprocess.Popen(
        [*WAKEDOCK, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not become healthy")


def stop_server(proc: subprocess.Popen[str]) -> str:
    """SIGTERM the server (a graceful shutdown) and return what it wrote to stderr."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    return stderr


@pytest.mark.slow  # starts `wakedock serve`
def test_serve_generates_and_prints_the_admin_password_once(cli_env: dict[str, str]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stderr = stop_server(start_server(cli_env, port))
    match = re.search(r"admin user 'admin' with password:\s+(\S+)", stderr)
    assert match, stderr
    password = match.group(1)
    secret = (Path(cli_env["WAKEDOCK_DATA_DIR"]) / "secret_key").read_text().strip()
    assert secret not in stderr

    # A second start prints no password, and the generated one logs in.
    again = start_server(cli_env, port)
    try:
        response = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": password}, timeout=5
        )
        assert response.status_code == 200
    finally:
        stderr2 = stop_server(again)
    assert "with password" not in stderr2
    assert password not in stderr2


@pytest.mark.slow  # starts `wakedock serve`
def test_serve_with_admin_from_env_and_cli_token(cli_env: dict[str, str]) -> None:
    cli_env["WAKEDOCK_ADMIN_USERNAME"] = "root"
    cli_env["WAKEDOCK_ADMIN_PASSWORD"] = "root-password-1"
    cli_env["WAKEDOCK_ADMIN_EMAIL"] = "root@example.com"
    cli_env["WAKEDOCK_LOG_FORMAT"] = "json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(cli_env, port)
    try:
        login = httpx.post(
            f"{base}/api/auth/login",
            json={"username": "root", "password": "root-password-1"},
            timeout=5,
        )
        assert login.status_code == 200
        token = run(
            cli_env, "token", "create", "root", "--name", "deploy", "--scope", "notifications:read"
        )
        assert token.returncode == 0, token.stderr
        plain = token.stdout.strip()
        me = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {plain}"}).json()
        assert me["username"] == "root"
        assert me["permissions"] == ["notifications:read"]
        assert run(cli_env, "token", "create", "ghost").returncode == 1
        assert run(cli_env, "token", "create", "root", "--scope", "nope:nope").returncode == 2
    finally:
        stderr = stop_server(proc)
    assert "root-password-1" not in stderr
    # JSON logs: every line is a JSON object.
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines
    for line in lines:
        json.loads(line)


def test_vapid_generate_and_worker_burst(cli_env: dict[str, str]) -> None:
    generated = run(cli_env, "vapid", "generate", "--subject", "mailto:ops@example.com")
    assert generated.returncode == 0, generated.stderr
    public = generated.stdout.split("public key:")[1].split()[0]
    assert len(public) == 87  # 65 bytes, unpadded base64url
    assert "private" not in generated.stdout
    shown = run(cli_env, "vapid", "generate", "--no-save")
    assert "private key:" in shown.stdout
    assert run(cli_env, "vapid", "generate", "--subject", "ops@example.com").returncode == 2
    burst = run(cli_env, "worker", "--burst")
    assert burst.returncode == 0, burst.stderr
    assert "processed 0 deliveries" in burst.stdout


def test_secrets_rotate_retire_and_clear_errors_for_bad_keys(cli_env: dict[str, str]) -> None:
    """The VAPID key `vapid generate` stores is sealed; `secrets rotate` moves it to a new key,
    `secrets retire` drops the old one; a lost or broken key is reported by name, not echoed."""
    data = Path(cli_env["WAKEDOCK_DATA_DIR"])
    keys_file = data / "encryption_keys"

    def sealed_private_key() -> str:
        with sqlite3.connect(data / "wakedock.db") as db:
            (config,) = db.execute(
                "SELECT config FROM notification_channels WHERE type = 'webpush'"
            ).fetchone()
        value: str = json.loads(config)["vapid_private_key"]
        assert value.startswith("enc:v1:")
        return value.removeprefix("enc:v1:")

    assert run(cli_env, "vapid", "generate").returncode == 0
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    [first] = parse_keys(keys_file.read_text())
    before = sealed_private_key()
    private = Fernet(first.encode()).decrypt(before.encode())
    check = run(cli_env, "secrets", "check")
    assert check.returncode == 0, check.stderr
    assert "1 sealed, 0 plaintext, 0 under an older key, 0 unreadable; 1 key(s)" in check.stdout

    rotated = run(cli_env, "secrets", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "1 secret value(s) re-encrypted" in rotated.stdout
    new, old = parse_keys(keys_file.read_text())
    assert old == first
    after = sealed_private_key()
    assert after != before
    assert Fernet(new.encode()).decrypt(after.encode()) == private
    retired = run(cli_env, "secrets", "retire")
    assert retired.returncode == 0, retired.stderr
    assert parse_keys(keys_file.read_text()) == [new]
    assert run(cli_env, "secrets", "check").returncode == 0

    # The same keys from the setting: rotate re-seals under its first key, the file untouched.
    third = Fernet.generate_key().decode()
    env = {**cli_env, "WAKEDOCK_ENCRYPTION_KEYS": f"{third},{new}"}
    assert run(env, "secrets", "retire").returncode == 1  # the value still needs `new`
    assert run(env, "secrets", "rotate").returncode == 0
    assert Fernet(third.encode()).decrypt(sealed_private_key().encode()) == private
    assert "the others can be removed" in run(env, "secrets", "retire").stdout
    assert parse_keys(keys_file.read_text()) == [new]

    # A lost key: named per secret, and retire refuses.
    lost = run(cli_env, "secrets", "check")
    assert lost.returncode == 1
    assert "unreadable: channel 1 (webpush): vapid_private_key" in lost.stderr
    assert run(cli_env, "secrets", "retire").returncode == 1

    # A broken keys file or setting stops the commands (and the server) without echoing it.
    keys_file.write_text("garbage-key-hidden\n")
    for args in (("secrets", "check"), ("serve", "--port", str(free_port()))):
        broken = run(cli_env, *args)
        assert broken.returncode == 2, broken.stderr
        assert "key 1 in the keys file" in broken.stderr
        assert "garbage" not in broken.stderr + broken.stdout
    bad = run({**cli_env, "WAKEDOCK_ENCRYPTION_KEYS": "hidden-bad-key"}, "migrate")
    assert bad.returncode == 2
    assert "not a Fernet key" in bad.stderr
    assert "hidden-bad-key" not in bad.stderr


def test_several_workers_without_a_shared_broker_are_refused_before_anything_starts(
    cli_env: dict[str, str],
) -> None:
    refused = run(cli_env, "serve", "--workers", "4", "--port", str(free_port()))
    assert refused.returncode == 2
    assert "--workers 4 needs a shared broker" in refused.stderr
    assert "WAKEDOCK_REDIS_URL" in refused.stderr
    assert not (Path(cli_env["WAKEDOCK_DATA_DIR"]) / "wakedock.db").exists()


def test_worker_stops_gracefully_on_sigterm(cli_env: dict[str, str], tmp_path: Path) -> None:
    """`wakedock worker` on SIGTERM: stops claiming, releases its leases, exits 0 at once."""
    log = tmp_path / "worker.log"
    env = {**cli_env, "WAKEDOCK_LOG_LEVEL": "INFO", "WAKEDOCK_SHUTDOWN_GRACE_SECONDS": "3"}
    with log.open("ab") as handle:
        worker = subprocess.Popen([*WAKEDOCK, "worker"], env=env, stdout=handle, stderr=handle)
    try:
        deadline = time.monotonic() + 60
        while "running (SIGTERM stops it gracefully)" not in log.read_text():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)  # polling the worker's log for its start
        signalled = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(15) == 0, log.read_text()
        assert time.monotonic() - signalled < 3 + 2
        assert "delivery worker stopped (0 lease(s) released)" in log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
