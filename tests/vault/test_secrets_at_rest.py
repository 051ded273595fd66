"""Secrets at rest on SQLite and PostgreSQL: the tables never hold a channel's or a data
source's secret in clear, deliveries and fetches still work (checked by real receivers: a webhook
HMAC, SMTP AUTH, an Apprise JSON endpoint, an upstream checking Authorization), through a key
rotation and the old key's retirement; a lost key gives clear per-channel errors, never a 500,
and re-entering the secret brings the channel back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tests.conftest import assert_error, make_settings
from tests.dashboards.conftest import Route, Upstream, add_widget, create_layout, create_source
from tests.dashboards.conftest import upstream as upstream
from tests.notifications.conftest import HttpReceiver, SmtpSink
from tests.notifications.conftest import http_receiver as http_receiver
from tests.notifications.conftest import smtp_server as smtp_server
from tests.notifications.test_delivery_channels import add_channel, add_mail_channel, hmac_ok
from wakedock.db.models import Base
from wakedock.settings import Settings
from wakedock.vault import stored
from wakedock.vault.keys import new_key, replace_keys_file
from wakedock.vault.sealing import PREFIX

HOOK_SECRET = "hook-secret-123"
SMTP_PASSWORD = "smtp-secret-pw"
TOKEN = "Bearer s3cret-upstream-token"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path / "data", database_url, dashboards_allowed_networks=["127.0.0.0/8"]
    )


async def database_dump(app: Any) -> str:
    """Every row of every table, as text: what someone holding a copy of the database sees."""
    rows: list[str] = []
    async with app.state.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(r)) for r in await conn.execute(table.select())]
    return "\n".join(rows)


async def raw_config(app: Any, table: str, row_id: int) -> dict[str, Any]:
    """The config column as stored, read with SQL (not through the models)."""
    async with app.state.engine.connect() as conn:
        value = await conn.scalar(
            sa.select(sa.cast(sa.column("config"), sa.Text))
            .select_from(sa.table(table))
            .where(sa.column("id") == row_id)
        )
    config: dict[str, Any] = json.loads(value)
    return config


async def add_secret_channels(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    receiver: HttpReceiver,
    smtp: SmtpSink,
) -> dict[str, int]:
    hook = await add_channel(
        client,
        headers,
        name="ops-hook",
        type="webhook",
        config={"url": f"{receiver.base}/hook", "secret": HOOK_SECRET},
    )
    mail = await add_mail_channel(client, headers, smtp, username="wd", password=SMTP_PASSWORD)
    chat = await add_channel(
        client,
        headers,
        name="chat",
        type="apprise",
        config={"url": f"json://127.0.0.1:{receiver.port}/apprise"},
    )
    vapid = await client.get("/api/notifications/push/vapid-public-key", headers=headers)
    assert vapid.status_code == 200
    return {"hook": hook["id"], "mail": mail["id"], "chat": chat["id"]}


async def everything_delivers(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    app: Any,
    ids: dict[str, int],
    receiver: HttpReceiver,
    smtp: SmtpSink,
    upstream: Upstream,
    source_id: int,
) -> None:
    """Each secret reaches its receiver: queued webhook, tested mail and Apprise, the source."""
    receiver.requests.clear()
    sent = await client.post(
        "/api/notifications",
        json={"title": "Deploy", "type": "deployment", "channels": ["ops-hook"]},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    await app.state.worker.drain()
    hooks = [r for r in receiver.requests if r.path == "/hook"]
    assert len(hooks) == 1
    assert hmac_ok(hooks[0], HOOK_SECRET)
    for name in ("mail", "chat"):
        tested = await client.post(f"/api/notifications/channels/{ids[name]}/test", headers=headers)
        assert tested.json()["ok"] is True, tested.text
    assert smtp.messages[-1][2]["Subject"] == "WakeDock test message"  # after AUTH with the pw
    assert [r.path for r in receiver.requests][-1] == "/apprise"
    tested = await client.post(f"/api/dashboards/data-sources/{source_id}/test", headers=headers)
    assert tested.json() == {"status": "ok", "error": None}
    assert upstream.headers[-1]["Authorization"] == TOKEN


async def test_secrets_are_sealed_in_the_tables_and_delivered_through_a_rotation(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    app: Any,
    settings: Settings,
    http_receiver: HttpReceiver,
    smtp_server: SmtpSink,
    upstream: Upstream,
) -> None:
    ids = await add_secret_channels(client, admin_headers, http_receiver, smtp_server)
    upstream.routes["/a"] = Route({"v": 1})
    source = await create_source(
        client, admin_headers, "api", "http_json", upstream.url("/a"),
        config={"url": upstream.url("/a"), "headers": {"Authorization": TOKEN, "X-Team": "ops"}},
    )  # fmt: skip
    apprise_url = f"json://127.0.0.1:{http_receiver.port}/apprise"

    dump = await database_dump(app)
    for secret in (HOOK_SECRET, SMTP_PASSWORD, TOKEN, "s3cret", apprise_url):
        assert secret not in dump
    hook = await raw_config(app, "notification_channels", ids["hook"])
    assert hook["url"] == f"{http_receiver.base}/hook"  # what is not secret stays readable
    assert hook["secret"].startswith(PREFIX)
    assert (await raw_config(app, "notification_channels", ids["mail"]))["password"].startswith(
        PREFIX
    )
    headers = (await raw_config(app, "widget_data_sources", source["id"]))["headers"]
    assert set(headers) == {"Authorization", "X-Team"}
    assert all(v.startswith(PREFIX) for v in headers.values())
    listed = (await client.get("/api/notifications/channels", headers=admin_headers)).text
    assert PREFIX not in listed
    assert HOOK_SECRET not in listed
    shown = await client.get(f"/api/dashboards/data-sources/{source['id']}", headers=admin_headers)
    assert PREFIX not in shown.text
    assert TOKEN not in shown.text

    await everything_delivers(
        client, admin_headers, app, ids, http_receiver, smtp_server, upstream, source["id"]
    )

    # Rotate: a new primary key first, every stored secret re-sealed under it.
    keyring = settings.keyring
    assert keyring.path is not None
    old_keys = keyring.keys()
    before = await database_dump(app)
    primary = new_key()
    replace_keys_file(keyring.path, [primary, *old_keys])
    async with app.state.sessionmaker() as session:
        report = await stored.reseal_all(session, keyring)
    assert report.resealed == 6  # hook, mail, apprise, VAPID, two headers
    assert report.unreadable == []
    only_new = Fernet(primary.encode())
    for table, row_id, field in [
        ("notification_channels", ids["hook"], "secret"),
        ("notification_channels", ids["mail"], "password"),
        ("notification_channels", ids["chat"], "url"),
    ]:
        value = (await raw_config(app, table, row_id))[field]
        assert value not in before
        assert only_new.decrypt(value[len(PREFIX) :].encode())
    headers = (await raw_config(app, "widget_data_sources", source["id"]))["headers"]
    assert only_new.decrypt(headers["Authorization"][len(PREFIX) :].encode()).decode() == TOKEN

    # Retire the old key: nothing needs it, and everything still works.
    async with app.state.sessionmaker() as session:
        check = await stored.check(session, keyring)
    assert (check.sealed, check.stale, check.plaintext, check.unreadable) == (6, 0, 0, [])
    replace_keys_file(keyring.path, [primary])
    await everything_delivers(
        client, admin_headers, app, ids, http_receiver, smtp_server, upstream, source["id"]
    )


async def test_a_lost_key_gives_clear_errors_per_channel_never_a_500_or_the_secret(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    app: Any,
    settings: Settings,
    http_receiver: HttpReceiver,
    upstream: Upstream,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = await add_channel(
        client,
        admin_headers,
        name="ops-hook",
        type="webhook",
        config={"url": f"{http_receiver.base}/hook", "secret": HOOK_SECRET},
    )
    upstream.routes["/a"] = Route({"v": 1})
    source = await create_source(
        client, admin_headers, "api", "http_json", upstream.url("/a"),
        config={"url": upstream.url("/a"), "headers": {"Authorization": TOKEN}},
    )  # fmt: skip
    layout = await create_layout(client, admin_headers)
    widget = await add_widget(
        client, admin_headers, layout["id"], "single_stat", config={"source": "api", "query": "$.v"}
    )
    keyring = settings.keyring
    assert keyring.path is not None
    replace_keys_file(keyring.path, [new_key()])  # the data dir's key is gone

    answers: list[str] = []
    listed = await client.get("/api/notifications/channels", headers=admin_headers)
    assert listed.status_code == 200
    assert listed.json()[0]["secrets_set"] == ["secret"]
    tested = await client.post(
        f"/api/notifications/channels/{hook['id']}/test", headers=admin_headers
    )
    assert tested.status_code == 200
    assert tested.json()["ok"] is False
    assert "'secret' cannot be decrypted" in tested.json()["error"]
    assert str(keyring.path) in tested.json()["error"]
    answers.append(tested.text)

    sent = await client.post(
        "/api/notifications",
        json={"title": "Deploy", "type": "deployment", "channels": ["ops-hook"]},
        headers=admin_headers,
    )
    await app.state.worker.drain()
    assert http_receiver.requests == []  # nothing unsigned or wrongly signed went out
    job = next(
        d
        for d in (
            await client.get(
                f"/api/notifications/{sent.json()['id']}/deliveries", headers=admin_headers
            )
        ).json()
        if d["channel_type"] == "webhook"
    )
    assert "cannot be decrypted" in job["last_error"]
    answers.append(json.dumps(job))

    kept = await client.patch(
        f"/api/notifications/channels/{hook['id']}",
        json={"config": {"url": f"{http_receiver.base}/hook2"}},
        headers=admin_headers,
    )
    assert_error(kept, 409, "secret_unreadable")
    answers.append(kept.text)

    source_test = await client.post(
        f"/api/dashboards/data-sources/{source['id']}/test", headers=admin_headers
    )
    assert source_test.json()["error"]["code"] == "secret_unreadable"
    data = await client.get(f"/api/dashboards/widgets/{widget['id']}/data", headers=admin_headers)
    assert data.status_code == 200
    assert data.json()["status"] == "error"
    assert data.json()["error"]["code"] == "secret_unreadable"
    assert upstream.calls["/a"] == 0  # not called without its Authorization header
    masked = await client.patch(
        f"/api/dashboards/data-sources/{source['id']}",
        json={"config": {"url": upstream.url("/a"), "headers": {"Authorization": "********"}}},
        headers=admin_headers,
    )
    assert_error(masked, 409, "secret_unreadable")
    answers += [source_test.text, data.text, masked.text]

    caplog.clear()
    report = await stored.check_at_startup(app.state.sessionmaker, keyring)
    assert report.unreadable == [
        f"channel {hook['id']} (ops-hook): secret",
        f"data source {source['id']} (api): headers.Authorization",
    ]
    assert f"channel {hook['id']} (ops-hook): secret" in caplog.text

    # Entering the secrets again brings both back.
    fixed = await client.patch(
        f"/api/notifications/channels/{hook['id']}",
        json={"config": {"url": f"{http_receiver.base}/hook", "secret": "new-hook-secret"}},
        headers=admin_headers,
    )
    assert fixed.status_code == 200, fixed.text
    http_receiver.responder = lambda request, _n: (
        204 if hmac_ok(request, "new-hook-secret") else 401,
        {},
    )
    tested = await client.post(
        f"/api/notifications/channels/{hook['id']}/test", headers=admin_headers
    )
    assert tested.json()["ok"] is True, tested.text
    fixed = await client.patch(
        f"/api/dashboards/data-sources/{source['id']}",
        json={"config": {"url": upstream.url("/a"), "headers": {"Authorization": TOKEN}}},
        headers=admin_headers,
    )
    assert fixed.status_code == 200, fixed.text
    source_test = await client.post(
        f"/api/dashboards/data-sources/{source['id']}/test", headers=admin_headers
    )
    assert source_test.json() == {"status": "ok", "error": None}

    for answer in [*answers, caplog.text]:
        assert HOOK_SECRET not in answer
        assert TOKEN not in answer
        assert PREFIX not in answer
