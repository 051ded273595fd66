"""Deliveries on real channels: SMTP, a webhook receiver checking HMAC, web push decrypted
by a browser-like receiver, Apprise to a loopback json:// endpoint; retries and dead letters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import http_ece
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import UserFactory, assert_error, statements_sent
from tests.notifications.conftest import HttpReceiver, Received, SmtpSink
from wakedock.clock import FrozenClock


async def add_channel(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/notifications/channels", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def add_mail_channel(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    smtp: SmtpSink,
    *,
    from_address: str = "wd@example.com",
    **config: Any,
) -> dict[str, Any]:
    """The e-mail channel "mail", sending through the test's SMTP server without TLS."""
    return await add_channel(
        client,
        headers,
        name="mail",
        type="email",
        config={
            "host": "127.0.0.1",
            "port": smtp.port,
            "tls_mode": "none",
            "from_address": from_address,
            **config,
        },
    )


async def deliveries(
    client: httpx.AsyncClient, headers: dict[str, str], **query: str
) -> list[dict[str, Any]]:
    response = await client.get("/api/notifications/deliveries", params=query, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def clock(app: Any) -> FrozenClock:
    frozen = FrozenClock(datetime.now(UTC))
    app.state.clock = frozen
    app.state.worker.clock = frozen
    return frozen


async def test_email_reaches_a_real_smtp_server(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    smtp_server: SmtpSink,
    app: Any,
) -> None:
    await add_mail_channel(
        client,
        admin_headers,
        smtp_server,
        from_address="wakedock@example.com",
        password="smtp-secret-pw",
        username="wd",
    )
    user = await make_user()
    created = await client.post(
        "/api/notifications",
        json={
            "title": "Backup failed",
            "message": "The nightly backup of db1 failed.",
            "type": "error",
            "action_url": "https://example.com/backups",
        },
        headers=user.headers,
    )
    nid = created.json()["id"]
    assert await app.state.worker.drain() >= 1
    assert len(smtp_server.messages) == 1
    mail_from, rcpts, mail = smtp_server.messages[0]
    assert mail_from == "wakedock@example.com"
    assert rcpts == [f"{user.username}@example.com"]
    assert mail["Subject"] == "Backup failed"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in mail.walk()
        if not p.is_multipart()
    }
    assert "The nightly backup of db1 failed." in parts["text/plain"]
    assert "https://example.com/backups" in parts["text/html"]

    timeline = (
        await client.get(f"/api/notifications/{nid}/deliveries", headers=user.headers)
    ).json()
    email = next(d for d in timeline if d["channel_type"] == "email")
    assert email["status"] == "succeeded"
    assert email["attempt_log"][0]["outcome"] == "succeeded"
    assert email["attempt_log"][0]["duration_ms"] >= 0


async def test_a_create_for_many_queues_every_email_in_one_statement(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    smtp_server: SmtpSink,
    app: Any,
) -> None:
    await add_mail_channel(client, admin_headers, smtp_server, from_address="wakedock@example.com")
    operator = await make_user(role="operator")
    team = [await make_user() for _ in range(5)]
    with statements_sent(app, "INSERT INTO notification_queue") as statements:
        created = await client.post(
            "/api/notifications",
            json={"title": "Disk full on db1", "user_ids": [u.id for u in team]},
            headers=operator.headers,
        )
    assert created.status_code == 201, created.text
    assert len(statements) == 1
    assert await app.state.worker.drain() == 5
    assert sorted(rcpts[0] for _, rcpts, _ in smtp_server.messages) == sorted(
        f"{u.username}@example.com" for u in team
    )
    for user, item in zip(team, created.json()["items"], strict=True):
        timeline = (
            await client.get(f"/api/notifications/{item['id']}/deliveries", headers=user.headers)
        ).json()
        assert [(d["channel_type"], d["status"]) for d in timeline] == [("email", "succeeded")]


async def test_email_preferences_and_template_parts(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    smtp_server: SmtpSink,
    app: Any,
) -> None:
    await add_mail_channel(client, admin_headers, smtp_server)
    await client.post(
        "/api/notifications/templates",
        json={
            "name": "deploy",
            "title_template": "Deployed {{ service }}",
            "email_subject_template": "[deploy] {{ service }} {{ version }}",
            "email_html_template": "<p>{{ service }} is at <b>{{ version }}</b></p>",
        },
        headers=admin_headers,
    )
    user = await make_user()
    sent = await client.post(
        "/api/notifications",
        json={"template": "deploy", "variables": {"service": "web<script>", "version": "1.2"}},
        headers=user.headers,
    )
    assert sent.status_code == 201, sent.text
    await app.state.worker.drain()
    mail = smtp_server.messages[-1][2]
    assert mail["Subject"] == "[deploy] web<script> 1.2"
    html = (
        next(p for p in mail.walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )
    assert "web&lt;script&gt;" in html  # autoescaped

    await client.patch(
        "/api/notifications/preferences", json={"email_enabled": False}, headers=user.headers
    )
    await client.post("/api/notifications", json={"title": "quiet please"}, headers=user.headers)
    await app.state.worker.drain()
    assert len(smtp_server.messages) == 1


def hmac_ok(request: Received, secret: str) -> bool:
    expected = hmac.new(
        secret.encode(),
        request.headers["x-wakedock-timestamp"].encode() + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(request.headers["x-wakedock-signature"], f"sha256={expected}")


async def test_webhook_fails_three_times_then_delivers_exactly_once(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
    clock: FrozenClock,
) -> None:
    accepted: list[dict[str, Any]] = []

    def responder(request: Received, n: int) -> tuple[int, dict[str, str]]:
        assert hmac_ok(request, "hook-secret-123")
        if n <= 3:
            return 500, {}
        accepted.append(json.loads(request.body))
        return 204, {}

    http_receiver.responder = responder
    channel = await add_channel(
        client,
        admin_headers,
        name="ops-hook",
        type="webhook",
        config={
            "url": f"{http_receiver.base}/hook",
            "secret": "hook-secret-123",
            "headers": {"X-Team": "ops"},
        },
    )
    assert "secret" not in channel["config"]
    assert channel["secrets_set"] == ["secret"]
    sent = await client.post(
        "/api/notifications",
        json={"title": "Deploy web", "type": "deployment", "channels": ["ops-hook"]},
        headers=admin_headers,
    )
    nid = sent.json()["id"]
    for _ in range(6):
        await app.state.worker.drain()
        clock.advance(hours=1)
    assert len(http_receiver.requests) == 4
    assert len(accepted) == 1
    assert accepted[0]["notifications"][0]["id"] == nid
    assert http_receiver.requests[0].headers["x-team"] == "ops"
    job = next(
        d
        for d in (
            await client.get(f"/api/notifications/{nid}/deliveries", headers=admin_headers)
        ).json()
        if d["channel_type"] == "webhook"
    )
    assert job["status"] == "succeeded"
    assert job["attempts"] == 4
    assert [a["outcome"] for a in job["attempt_log"]] == ["failed", "failed", "failed", "succeeded"]


async def test_webhook_retry_after_and_permanent_failures(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
    clock: FrozenClock,
) -> None:
    http_receiver.responder = lambda req, n: (429, {"Retry-After": "120"}) if n == 1 else (400, {})
    await add_channel(
        client, admin_headers, name="h", type="webhook", config={"url": f"{http_receiver.base}/x"}
    )
    await client.post(
        "/api/notifications", json={"title": "t", "channels": ["h"]}, headers=admin_headers
    )
    await app.state.worker.drain()
    job = (await deliveries(client, admin_headers, channel_type="webhook"))[0]
    assert job["status"] == "retrying"
    wait = datetime.fromisoformat(job["run_at"]) - clock.now()
    assert timedelta(seconds=119) <= wait <= timedelta(seconds=121)
    clock.advance(seconds=60)
    assert await app.state.worker.drain() == 0  # not due yet
    clock.advance(seconds=61)
    await app.state.worker.drain()
    dead = await deliveries(client, admin_headers, status="dead")
    assert [d["id"] for d in dead] == [job["id"]]
    assert "HTTP 400" in dead[0]["last_error"]

    # An admin replays the dead letter once the receiver is fixed.
    http_receiver.responder = lambda req, n: (200, {})
    retried = await client.post(
        f"/api/notifications/deliveries/{job['id']}/retry", headers=admin_headers
    )
    assert retried.json()["status"] == "pending"
    await app.state.worker.drain()
    assert (await deliveries(client, admin_headers, status="succeeded"))[0]["id"] == job["id"]
    assert_error(
        await client.post(
            f"/api/notifications/deliveries/{job['id']}/retry", headers=admin_headers
        ),
        422,
    )


async def test_ssrf_guard_refuses_private_targets(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
) -> None:
    app.state.settings.allow_private_targets = False
    await add_channel(
        client, admin_headers, name="h", type="webhook", config={"url": f"{http_receiver.base}/x"}
    )
    await client.post(
        "/api/notifications", json={"title": "t", "channels": ["h"]}, headers=admin_headers
    )
    await app.state.worker.drain()
    assert http_receiver.requests == []
    dead = await deliveries(client, admin_headers, status="dead")
    assert "non-public address 127.0.0.1" in dead[0]["last_error"]
    for bad in ("ftp://example.com/x", "not a url", "http:///nohost"):
        response = await client.post(
            "/api/notifications/channels",
            json={"name": "bad", "type": "webhook", "config": {"url": bad}},
            headers=admin_headers,
        )
        assert_error(response, 422)


async def test_channel_admin_secrets_and_validation(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    smtp_server: SmtpSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = await make_user(role="operator")
    assert_error(await client.get("/api/notifications/channels", headers=user.headers), 403)
    created = await add_mail_channel(
        client,
        admin_headers,
        smtp_server,
        username="wd",
        password="very-secret-smtp",
    )
    patched = await client.patch(
        f"/api/notifications/channels/{created['id']}",
        json={
            "config": {
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "tls_mode": "none",
                "from_address": "other@example.com",
                "username": "wd",
            }
        },
        headers=admin_headers,
    )
    assert patched.status_code == 200
    assert patched.json()["secrets_set"] == ["password"]  # kept although not sent again
    tested = (
        await client.post(
            f"/api/notifications/channels/{created['id']}/test", headers=admin_headers
        )
    ).json()
    assert tested["ok"] is True, tested
    assert smtp_server.messages[-1][2]["Subject"] == "WakeDock test message"
    everything = [
        (await client.get("/api/notifications/channels", headers=admin_headers)).text,
        (
            await client.get(f"/api/notifications/channels/{created['id']}", headers=admin_headers)
        ).text,
        (await client.get("/api/audit?limit=500", headers=admin_headers)).text,
        caplog.text,
    ]
    assert not any("very-secret-smtp" in text for text in everything)
    for bad in (
        {"name": "x", "type": "sms", "config": {}},
        {"name": "x", "type": "email", "config": {"host": "h"}},
        {
            "name": "x",
            "type": "email",
            "config": {"host": "h", "from_address": "nope", "password": "leak-me"},
        },
        {"name": "x", "type": "apprise", "config": {"url": "nonsense"}},
        {"name": "mail", "type": "webhook", "config": {"url": "https://example.com"}},
    ):
        response = await client.post("/api/notifications/channels", json=bad, headers=admin_headers)
        assert response.status_code in (409, 422), response.text
        assert "leak-me" not in response.text
    assert [
        c["name"]
        for c in (await client.get("/api/notifications/channels", headers=admin_headers)).json()
    ] == ["mail"]


async def test_a_channel_has_no_put_patch_changes_it(
    client: httpx.AsyncClient, admin_headers: dict[str, str], smtp_server: SmtpSink
) -> None:
    """PUT was a second PATCH (omitted fields and secrets kept), so a client sending what it
    took for a full replacement got a merge. There is one way to change a channel: PATCH."""
    created = await add_mail_channel(
        client, admin_headers, smtp_server, username="wd", password="very-secret-smtp"
    )
    url = f"/api/notifications/channels/{created['id']}"
    before = (await client.get(url, headers=admin_headers)).json()
    for body in ({"name": "renamed", "is_active": False}, {}, {"config": {"host": "h"}}):
        refused = await client.put(url, json=body, headers=admin_headers)
        assert_error(refused, 405, "method_not_allowed")
        assert set(refused.headers["allow"].split(", ")) == {"DELETE", "GET", "PATCH"}
    assert (await client.get(url, headers=admin_headers)).json() == before
    audit = (await client.get("/api/audit?limit=500", headers=admin_headers)).json()
    assert not [e for e in audit["items"] if e["action"] == "channel.update"]
    patched = await client.patch(url, json={"is_active": False}, headers=admin_headers)
    assert patched.status_code == 200
    assert patched.json() == {
        **before,
        "is_active": False,
        "updated_at": patched.json()["updated_at"],
    }
    assert patched.json()["secrets_set"] == ["password"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


async def test_web_push_is_encrypted_for_the_browser_and_gone_subscriptions_are_removed(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    http_receiver: HttpReceiver,
    app: Any,
) -> None:
    user = await make_user()
    vapid_public = (
        await client.get("/api/notifications/push/vapid-public-key", headers=user.headers)
    ).json()["public_key"]
    assert len(_unb64(vapid_public)) == 65
    # What a browser does: a P-256 key pair and a 16-byte auth secret.
    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = _b64(
        browser_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    auth = os.urandom(16)
    endpoint = f"{http_receiver.base}/push/abc123"
    registered = await client.post(
        "/api/notifications/push-subscriptions",
        json={
            "endpoint": endpoint,
            "keys": {"p256dh": p256dh, "auth": _b64(auth)},
            "expirationTime": None,
        },
        headers=user.headers,
    )
    assert registered.status_code == 201, registered.text

    http_receiver.responder = lambda req, n: (201, {}) if n == 1 else (410, {})
    await client.post(
        "/api/notifications",
        json={"title": "Pushed!", "message": "hello browser", "priority": "high"},
        headers=user.headers,
    )
    await app.state.worker.drain()
    request = http_receiver.requests[0]
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["urgency"] == "high"
    plain = http_ece.decrypt(
        request.body, private_key=browser_key, auth_secret=auth, version="aes128gcm"
    )
    payload = json.loads(plain)
    assert payload["title"] == "Pushed!"
    assert payload["body"] == "hello browser"
    # The VAPID JWT is signed by the key whose public half browsers got.
    token = request.headers["authorization"].split("t=")[1].split(",")[0]
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(vapid_public))
    claims = jwt.decode(token, public, algorithms=["ES256"], audience=http_receiver.base)
    assert claims["sub"].startswith("mailto:")

    await client.post("/api/notifications", json={"title": "second"}, headers=user.headers)
    await app.state.worker.drain()
    assert (
        await client.get("/api/notifications/push-subscriptions", headers=user.headers)
    ).json() == []


async def test_apprise_json_endpoint(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
) -> None:
    channel = await add_channel(
        client,
        admin_headers,
        name="chat",
        type="apprise",
        config={"url": f"json://127.0.0.1:{http_receiver.port}/apprise"},
    )
    assert channel["config"] == {}  # the URL carries tokens: it is a secret
    await client.post(
        "/api/notifications",
        json={"title": "Disk full", "message": "on db1", "type": "warning", "channels": ["chat"]},
        headers=admin_headers,
    )
    await app.state.worker.drain()
    assert len(http_receiver.requests) == 1
    body = json.loads(http_receiver.requests[0].body)
    assert body["title"] == "Disk full"
    assert body["message"].startswith("on db1")
    assert body["type"] == "warning"


async def test_expiry_cancels_pending_deliveries(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    http_receiver: HttpReceiver,
    app: Any,
    clock: FrozenClock,
) -> None:
    http_receiver.responder = lambda req, n: (503, {})
    await add_channel(
        client, admin_headers, name="h", type="webhook", config={"url": f"{http_receiver.base}/x"}
    )
    await client.post(
        "/api/notifications",
        json={"title": "t", "channels": ["h"], "ttl_seconds": 30},
        headers=admin_headers,
    )
    await app.state.worker.drain()
    assert len(http_receiver.requests) == 1
    clock.advance(minutes=5)
    await app.state.worker.drain()
    assert len(http_receiver.requests) == 1
    assert (await deliveries(client, admin_headers))[0]["status"] == "cancelled"
