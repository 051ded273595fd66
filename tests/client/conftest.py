"""A real ``wakedock serve`` (SQLite) for the client and the client commands, and a runner of
``wakedock`` as a subprocess with its own config dir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.realtime.conftest import Api, Server, new_user, server_env

WAKEDOCK = [sys.executable, "-m", "wakedock"]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the modules here (each test makes its own users; a start costs seconds);
    ``test_client_postgres.py`` has its own."""
    tmp = tmp_path_factory.mktemp("client")
    srv = Server(port=free_port(), env=server_env(tmp), log=tmp / "server.log").start()
    try:
        yield srv
    finally:
        srv.stop()


@dataclass
class Cli:
    """``wakedock`` run as a user would: its own config dir, no WAKEDOCK_* of the test run."""

    home: Path
    extra_env: dict[str, str]

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
        env["XDG_CONFIG_HOME"] = str(self.home / "config")
        env["HOME"] = str(self.home)
        env.update(self.extra_env)
        return env

    @property
    def config_dir(self) -> Path:
        return self.home / "config" / "wakedock"

    def run(
        self, *args: str, input: str | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*WAKEDOCK, *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # no controlling terminal: getpass reads stdin
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*WAKEDOCK, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, {})


@pytest.fixture
def user(server: Server) -> Api:
    return new_user(server.http)


def logged_in(cli: Cli, server: Server, api: Api) -> Cli:
    """``cli`` with WAKEDOCK_URL / WAKEDOCK_TOKEN set to ``api``'s user (no login file)."""
    cli.extra_env.update({"WAKEDOCK_URL": server.http, "WAKEDOCK_TOKEN": api.token})
    return cli
