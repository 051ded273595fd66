"""The server-side (local database) `user` and `token` subcommands added with the client
commands: `token list|revoke`, `user set-role|delete`."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import cli_env, run

__all__ = ["cli_env"]
# A dozen `wakedock` processes, each migrating a fresh SQLite database first.
pytestmark = pytest.mark.timeout(240)


def test_token_list_and_revoke(cli_env: dict[str, str]) -> None:
    created = run(
        cli_env, "user", "create", "ops", "--email", "ops@example.com", "--password", "ops-pass-1"
    )
    assert created.returncode == 0, created.stderr
    plain = run(cli_env, "token", "create", "ops", "--name", "backup job").stdout.strip()
    listed = json.loads(run(cli_env, "token", "list", "ops", "--json").stdout)["items"]
    assert [t["name"] for t in listed] == ["backup job"]
    assert plain.startswith(listed[0]["prefix"])
    assert plain not in json.dumps(listed)  # never the token itself
    table = run(cli_env, "token", "list", "ops").stdout  # not a terminal: tab-separated
    assert table.split("\t")[:2] == [str(listed[0]["id"]), "backup job"]

    assert run(cli_env, "token", "revoke", "ops", str(listed[0]["id"])).returncode == 0
    assert json.loads(run(cli_env, "token", "list", "ops", "--json").stdout)["items"] == []
    again = run(cli_env, "token", "revoke", "ops", str(listed[0]["id"]))
    assert again.returncode == 1
    assert "not found" in again.stderr
    assert run(cli_env, "token", "list", "ghost").returncode == 1


def test_user_set_role_and_delete(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "create", "ops", "--email", "ops@example.com", "--password", "ops-pass-1")
    assert run(cli_env, "user", "set-role", "ops", "admin", "operator").returncode == 0
    (ops,) = json.loads(run(cli_env, "user", "list", "--json").stdout)["items"]
    assert (ops["username"], ops["roles"]) == ("ops", ["admin", "operator"])
    assert run(cli_env, "user", "set-role", "ops", "root").returncode == 2
    assert run(cli_env, "user", "set-role", "ghost", "user").returncode == 1

    declined = run(cli_env, "user", "delete", "ops", input_text="n\n")
    assert declined.returncode == 1
    assert "ops@example.com" in run(cli_env, "user", "list").stdout
    assert run(cli_env, "user", "delete", "ops", "--yes").returncode == 0
    assert "ops@example.com" not in run(cli_env, "user", "list").stdout
    assert run(cli_env, "user", "delete", "ops", "--yes").returncode == 1
