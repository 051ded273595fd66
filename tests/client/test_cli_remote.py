"""The client commands as real subprocesses against a real ``wakedock serve``."""

from __future__ import annotations

import json
import stat

import httpx
import pytest

from tests.client.conftest import Cli, logged_in
from tests.realtime.conftest import Api, Server, new_user

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]  # starts `wakedock serve`


def test_login_stores_a_private_file_and_logout_revokes(
    server: Server, user: Api, cli: Cli
) -> None:
    done = cli.run("login", server.http, input=f"{user.username}\n{user.password}\n")
    assert done.returncode == 0, done.stderr
    path = cli.config_dir / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.config_dir.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["url"] == server.http
    assert stored["token"].startswith("wdk_")
    assert user.password not in path.read_text()

    sent = cli.run("send", "from the cli")
    assert sent.returncode == 0, sent.stderr
    listed = json.loads(cli.run("notifications", "list", "--json").stdout)
    assert [(n["id"], n["message"]) for n in listed] == [(int(sent.stdout), "from the cli")]

    assert cli.run("logout").returncode == 0
    assert not path.exists()
    revoked = httpx.get(
        f"{server.http}/api/auth/me", headers={"Authorization": f"Bearer {stored['token']}"}
    )
    assert revoked.status_code == 401
    assert cli.run("notifications", "list").returncode == 2  # not logged in: usage


def test_login_with_a_token_and_the_environment_overrides(
    server: Server, user: Api, cli: Cli
) -> None:
    assert cli.run("login", server.http, "--token", user.token).returncode == 0
    other = new_user(server.http)
    cli.extra_env["WAKEDOCK_TOKEN"] = other.token
    assert cli.run("send", "as the other").returncode == 0
    assert [n["message"] for n in other.get("/api/notifications").json()["items"]] == [
        "as the other"
    ]
    assert user.get("/api/notifications").json()["items"] == []


def test_wrong_credentials_exit_1_with_the_servers_message(
    server: Server, user: Api, cli: Cli
) -> None:
    refused = cli.run("login", server.http, input=f"{user.username}\nwrong-password\n")
    assert refused.returncode == 1
    assert "error:" in refused.stderr
    assert not (cli.config_dir / "config.json").exists()
    cli.extra_env.update({"WAKEDOCK_URL": server.http, "WAKEDOCK_TOKEN": "wdk_wrong"})
    result = cli.run("send", "x")
    assert result.returncode == 1
    assert "(invalid_token)" in result.stderr


def test_usage_errors_exit_2(server: Server, user: Api, cli: Cli) -> None:
    assert cli.run("send", "x").returncode == 2  # not logged in
    logged_in(cli, server, user)
    for args in (
        ["send"],
        ["send", "x", "--to", "1", "--topic", "t"],
        ["send", "x", "--priority", "extreme"],
        ["send", "x", "--template", "t", "--var", "novalue"],
        ["send", "x", "--role", "user", "--idempotency-key", "k"],
        ["notifications", "read"],
        ["login", "ftp://example.com"],
    ):
        result = cli.run(*args)
        assert result.returncode == 2, (args, result.stderr)
    assert user.get("/api/notifications").json()["items"] == []


def test_send_from_stdin_with_options_and_refusals(server: Server, user: Api, cli: Cli) -> None:
    logged_in(cli, server, user)
    sent = cli.run(
        "send", "-", "--priority", "high", "--type", "monitoring", "--url", "https://x.test/",
        input="disk full\non /var\n",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    n = user.get(f"/api/notifications/{int(sent.stdout)}").json()
    assert (n["title"], n["message"], n["priority"], n["type"], n["action_url"]) == (
        "disk full", "disk full\non /var", "high", "monitoring", "https://x.test/",
    )  # fmt: skip
    again = cli.run("send", "once", "--idempotency-key", "k1", "--json")
    twice = cli.run("send", "once", "--idempotency-key", "k1", "--json")
    assert json.loads(twice.stdout)["replayed"] is True
    assert json.loads(again.stdout)["notifications"] == json.loads(twice.stdout)["notifications"]
    refused = cli.run("send", "x", "--template", "no-such-template")
    assert refused.returncode == 1
    assert "error:" in refused.stderr
    nul = cli.run("send", "-", input="null\0byte")
    assert nul.returncode == 1
    assert "error:" in nul.stderr
    huge = cli.run("send", "-", input="x" * 2_000_000)
    assert huge.returncode == 1
    assert "error:" in huge.stderr
    assert len(user.get("/api/notifications").json()["items"]) == 2  # the two sent above
    broadcast = cli.run("send", "all of you", "--role", "user")
    assert broadcast.returncode == 1  # a plain user may not broadcast
    assert "(missing_permission)" in broadcast.stderr


def test_listing_fits_pipes_and_json(server: Server, user: Api, cli: Cli) -> None:
    logged_in(cli, server, user)
    title = "a long title " + "x" * 200
    ids = [int(cli.run("send", f"message\twith tab {i}", "--title", title).stdout) for i in (1, 2)]
    table = cli.run("notifications", "list")
    lines = table.stdout.splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == ids[::-1]
    assert all(line.split("\t")[6] == title for line in lines)  # not truncated
    assert lines[0].split("\t")[7] == "message with tab 2"
    assert cli.run("notifications", "read", str(ids[0])).returncode == 0
    unread = json.loads(cli.run("notifications", "list", "--unread", "--json").stdout)
    assert [n["id"] for n in unread] == [ids[1]]
    assert cli.run("notifications", "delete", str(ids[1])).returncode == 0
    assert [n["id"] for n in json.loads(cli.run("notifications", "list", "--json").stdout)] == [
        ids[0]
    ]


def test_another_users_notifications_cannot_be_touched(server: Server, cli: Cli) -> None:
    owner, intruder = new_user(server.http), new_user(server.http)
    mine = owner.notify("private")["id"]
    logged_in(cli, server, intruder)
    for args in (["read", str(mine)], ["delete", str(mine)], ["show", str(mine)]):
        result = cli.run("notifications", *args)
        assert result.returncode == 1, args
        assert "(not_found)" in result.stderr
    assert owner.get(f"/api/notifications/{mine}").json()["read"] is False
