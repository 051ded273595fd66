"""The client and ``wakedock send`` / ``notifications`` against a server on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.client.conftest import Cli, logged_in
from tests.conftest import free_port, run_sync, truncate_pg
from tests.realtime.conftest import Server, new_user, server_env
from wakedock.client import Client, NotFoundError

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, pg_migrated: str) -> Iterator[Server]:
    run_sync(truncate_pg, pg_migrated)
    tmp = tmp_path_factory.mktemp("client-pg")
    env = server_env(tmp, WAKEDOCK_DATABASE_URL=pg_migrated)
    srv = Server(port=free_port(), env=env, log=tmp / "server.log").start()
    try:
        yield srv
    finally:
        srv.stop()


def test_send_list_read_and_isolation_on_postgresql(server: Server, cli: Cli) -> None:
    owner, intruder = new_user(server.http), new_user(server.http)
    with Client(server.http, owner.token) as client:
        first = client.send("on postgres", idempotency_key="pg-1")
        assert client.send("on postgres", idempotency_key="pg-1").replayed
        (n,) = first.notifications
        assert client.mark_read(n.id).read
    with Client(server.http, intruder.token) as client, pytest.raises(NotFoundError):
        client.mark_read(n.id)
    logged_in(cli, server, owner)
    sent = cli.run("send", "-", "--priority", "urgent", input="from stdin\n")
    assert sent.returncode == 0, sent.stderr
    listed = json.loads(cli.run("notifications", "list", "--json").stdout)
    assert [(x["id"], x["priority"]) for x in listed] == [
        (int(sent.stdout), "urgent"),
        (n.id, "normal"),
    ]
