"""The shipped systemd unit (deploy/systemd/wakedock.service): checked by systemd's own
``systemd-analyze verify`` (every directive parsed, no warning), sandboxed, and stopping
within a bound above WakeDock's graceful-stop grace."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.conftest import DEPLOY, replace_once, unavailable
from wakedock.settings import Settings

UNIT = DEPLOY / "systemd" / "wakedock.service"
SHIPPED_EXEC = "ExecStart=/opt/wakedock/venv/bin/wakedock serve"


def directives() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found[key] = value
    return found


def verify(tmp_path: Path, text: str) -> str:
    """``systemd-analyze verify`` on ``text`` (with this checkout's ``wakedock`` to start:
    verify checks that the command exists); its complaints, empty when there are none."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze not found: apt-get install systemd")
    assert analyze is not None
    executable = Path(sys.executable).parent / "wakedock"
    assert executable.is_file()
    unit = tmp_path / "wakedock.service"
    unit.write_text(replace_once(text, SHIPPED_EXEC, f"ExecStart={executable} serve"))
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    output = (done.stdout + done.stderr).strip()
    return output if output or done.returncode == 0 else f"exit status {done.returncode}"


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    assert verify(tmp_path, UNIT.read_text()) == ""


def test_the_check_would_catch_a_bad_directive(tmp_path: Path) -> None:
    broken = replace_once(UNIT.read_text(), "ProtectSystem=strict", "ProtectSystem=stricter")
    assert "ProtectSystem" in verify(tmp_path, broken) or "protect system" in verify(
        tmp_path, broken
    )


def test_sandboxed_with_the_data_dir_as_state_directory() -> None:
    unit = directives()
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "DynamicUser": "yes",
        "StateDirectory": "wakedock",
        "Restart": "on-failure",
        "CapabilityBoundingSet": "",
    }
    assert {key: unit.get(key) for key in expected} == expected
    assert re.search(r"^Environment=WAKEDOCK_DATA_DIR=/var/lib/wakedock$", UNIT.read_text(), re.M)


def test_stop_timeout_outlasts_the_graceful_stop() -> None:
    timeout = directives()["TimeoutStopSec"]
    assert timeout.endswith("s")
    grace = Settings.model_fields["shutdown_grace_seconds"].default
    assert int(timeout[:-1]) >= 2 * grace
