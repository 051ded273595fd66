"""The CI fuzz run: Schemathesis over the whole OpenAPI, as an admin and as a plain user, with
every check, on SQLite and on PostgreSQL; the server and the fuzzer run in a network namespace
that has only loopback, so no call the fuzzer provokes can leave the machine.

It fails on any 5xx answer, any traceback the server logs (a stream that broke after its 200),
and any failed check, and reports all of them at once, each with a curl line that reproduces it
(``$B`` the server's base URL, ``$T`` a token of the role). ``tests/fuzz/run.py`` does the work;
``tests/fuzz/schemathesis.toml`` says which check is configured out where, and why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url

from tests.conftest import require_pg, run_sync, skip_or_fail

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

ROOT = Path(__file__).resolve().parents[2]
# Examples per operation and phase. With a fixed seed and deterministic generation the run sends
# the same requests every time; raise it locally for a deeper run (WAKEDOCK_TEST_FUZZ_EXAMPLES).
EXAMPLES = int(os.environ.get("WAKEDOCK_TEST_FUZZ_EXAMPLES", "10"))
PG_SOCKET_DIR = Path(os.environ.get("WAKEDOCK_TEST_PG_SOCKET_DIR", "/var/run/postgresql"))
HEALTH_BOUND_SECONDS = 2.0


def isolated(command: list[str]) -> list[str]:
    """``command`` inside a new network namespace with only loopback, up."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if os.geteuid() != 0 or unshare is None or ip is None:
        skip_or_fail(
            "the fuzz run needs root, unshare (util-linux) and ip (iproute2) to run the server "
            "in a network namespace that has only loopback"
        )
    assert unshare is not None
    assert ip is not None
    return [unshare, "--net", "--", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh", *command]


async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text

    from wakedock.db.engine import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def fresh_pg_database() -> tuple[str, str, str]:
    """A new, empty database reached over the Unix socket; (socket URL, server URL, name)."""
    base = make_url(require_pg())
    port = base.port or 5432
    if not (PG_SOCKET_DIR / f".s.PGSQL.{port}").exists():
        skip_or_fail(f"no PostgreSQL Unix socket in {PG_SOCKET_DIR} (WAKEDOCK_TEST_PG_SOCKET_DIR)")
    name = f"{base.database}_fuzz"
    server_url = base.set(database="postgres").render_as_string(hide_password=False)
    run_sync(_admin, server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run_sync(_admin, server_url, f'CREATE DATABASE "{name}"')
    socket_url = URL.create(
        base.drivername,
        username=base.username,
        password=base.password,
        database=name,
        query={"host": str(PG_SOCKET_DIR), "port": str(port)},
    ).render_as_string(hide_password=False)
    return socket_url, server_url, name


def report(summary: dict[str, Any]) -> str:
    """Every problem of the run, grouped by role, each with its reproducer."""
    lines: list[str] = []
    for role, result in summary["roles"].items():
        for error in result["errors"]:
            lines.append(
                f"[{role}] error {error['type']} on {error['operation']} (x{error['count']}): "
                f"{error['message']}"
            )
        for error in result["server_errors"]:
            lines.append(
                f"[{role}] {error['status']} on {error['method']} {error['path']} "
                f"(x{error['count']}): {error['curl']}"
            )
        for failure in result["failures"]:
            lines.append(
                f"[{role}] {failure['code']} {failure['check']} on {failure['operation']}: "
                f"{failure['status']} {failure['answer'][:160]!r} "
                f"{(failure['message'] or '').splitlines()[:1]}: {failure['curl']}"
            )
    for logged in summary["logged_errors"]:
        lines.append(
            f"[server log] {logged['message'].strip()} (x{logged['count']}): "
            f"{logged['exception']} at {logged['where']}"
        )
    return "\n".join(lines)


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_fuzz_whole_openapi(backend: str, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "tests.fuzz.run",
        "--out",
        str(tmp_path),
        "--max-examples",
        str(EXAMPLES),
        "--require-isolation",
    ]
    dropped: tuple[str, str] | None = None
    if backend == "postgresql":
        socket_url, server_url, name = fresh_pg_database()
        command += ["--database-url", socket_url]
        dropped = (server_url, name)
    try:
        finished = subprocess.run(
            isolated(command), cwd=ROOT, capture_output=True, text=True, timeout=840, check=False
        )
    finally:
        if dropped is not None:
            run_sync(_admin, dropped[0], f'DROP DATABASE IF EXISTS "{dropped[1]}" WITH (FORCE)')
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    print(json.dumps({k: v for k, v in summary.items() if k != "roles"}, indent=2))

    # The namespace held: no interface but loopback, and a public address is unreachable.
    assert summary["isolation"]["interfaces"] == ["lo"]
    assert summary["isolation"]["public_address"] == "unreachable"
    for role in ("user", "admin"):
        result = summary["roles"][role]
        assert result["cases"] > 500, f"{role}: only {result['cases']} test cases ran"
    problems = report(summary)
    assert not problems, f"the fuzz run found problems:\n{problems}"
    for role in ("user", "admin"):
        assert summary["roles"][role]["exit_code"] == 0, (tmp_path / f"{role}.log").read_text()
    health = summary["health"]
    assert health["failed"] == 0
    assert health["max_seconds"] < HEALTH_BOUND_SECONDS, health
