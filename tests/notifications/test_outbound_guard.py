"""Channels through the one outbound guard, against real listeners on loopback.

Regression for issue 17 finding 4: with private targets not allowed, Apprise URLs such as
``hassio://127.0.0.1:P/tok``, ``mmost://``, ``rocket://``, ``mailto://`` (SMTP), ``matrix://``
and ``mastodon://`` reached a listener on 127.0.0.1 through "Send test" (only json, xml, form,
ntfy and gotify hosts were checked), and Apprise followed a 302 to 127.0.0.1. Finding 13:
``[::7f00:1]`` passed as public.
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.netguard.listener import listening
from tests.notifications.conftest import SmtpSink
from tests.notifications.test_delivery_channels import add_channel


async def send_test(
    client: httpx.AsyncClient, headers: dict[str, str], channel: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"/api/notifications/channels/{channel['id']}/test", headers=headers
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def guarded(app: Any) -> Any:
    """The deployment's guard switched on (the test settings turn it off by default)."""
    app.state.settings.allow_private_targets = False
    return app.state.settings


APPRISE_URLS = {
    "hassio": "hassio://127.0.0.1:{port}/abcdefghijklmnop",
    "mmost": "mmost://127.0.0.1:{port}/abcdefghijklmnop",
    "rocket": "rocket://user:pass@127.0.0.1:{port}/#general",
    "matrix": "matrix://user:pass@127.0.0.1:{port}/#room",
    "mastodon": "mastodon://abcdefgh@127.0.0.1:{port}",
    "ntfy-compat": "ntfy://[::7f00:1]:{port}/topic",
    "mailto": "mailto://user:pass@127.0.0.1:{port}?to=x@example.com&from=wd@example.com",
    "rsyslog": "rsyslog://127.0.0.1:{port}",
}


@pytest.mark.parametrize("scheme", list(APPRISE_URLS))
async def test_apprise_send_test_cannot_reach_loopback(
    client: httpx.AsyncClient, admin_headers: dict[str, str], guarded: Any, scheme: str
) -> None:
    with listening("127.0.0.1") as target:
        url = APPRISE_URLS[scheme].format(port=target.port)
        channel = await add_channel(
            client, admin_headers, name=scheme, type="apprise", config={"url": url}
        )
        result = await send_test(client, admin_headers, channel)
    with warnings.catch_warnings():  # Apprise's rsyslog leaves its socket open on any error
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    assert result["ok"] is False
    assert "refusing to connect" in result["error"], result
    assert target.connections == 0


async def test_apprise_mailto_reaches_an_allowed_smtp_server_only(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    guarded: Any,
    smtp_server: SmtpSink,
) -> None:
    channel = await add_channel(
        client,
        admin_headers,
        name="mail",
        type="apprise",
        config={
            "url": f"mailto://wd:smtp-secret-pw@127.0.0.1:{smtp_server.port}"
            "?to=ops@example.com&from=wd@example.com"
        },
    )
    refused = await send_test(client, admin_headers, channel)
    assert refused["ok"] is False
    assert "non-public address 127.0.0.1" in refused["error"]
    assert smtp_server.messages == []
    guarded.allowed_networks = ["127.0.0.1/32"]
    sent = await send_test(client, admin_headers, channel)
    assert sent["ok"] is True, sent
    assert [rcpts for _, rcpts, _ in smtp_server.messages] == [["ops@example.com"]]


async def test_apprise_redirect_to_loopback_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], guarded: Any
) -> None:
    """127.0.0.2 is allowed, so Apprise's first request goes out; its 302 to 127.0.0.1 (not
    allowed) is refused at that connect."""
    guarded.allowed_networks = ["127.0.0.2/32"]
    with (
        listening("127.0.0.1") as inner,
        listening(
            "127.0.0.2", answer=lambda _m, _p: (302, {"Location": f"{inner.base}/steal"}, b"")
        ) as outer,
    ):
        channel = await add_channel(
            client,
            admin_headers,
            name="chat",
            type="apprise",
            config={"url": f"json://127.0.0.2:{outer.port}/notify"},
        )
        result = await send_test(client, admin_headers, channel)
    assert outer.paths == ["/notify"]
    assert inner.connections == 0
    assert result["ok"] is False
    assert "non-public address 127.0.0.1" in result["error"]


async def test_a_refused_apprise_delivery_is_a_dead_letter_at_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str], guarded: Any, app: Any
) -> None:
    with listening("127.0.0.1") as target:
        await add_channel(
            client,
            admin_headers,
            name="ha",
            type="apprise",
            config={"url": f"hassio://127.0.0.1:{target.port}/abcdefghijklmnop"},
        )
        await client.post(
            "/api/notifications", json={"title": "t", "channels": ["ha"]}, headers=admin_headers
        )
        await app.state.worker.drain()
    assert target.connections == 0
    dead = (
        await client.get(
            "/api/notifications/deliveries", params={"status": "dead"}, headers=admin_headers
        )
    ).json()["items"]
    assert len(dead) == 1
    assert dead[0]["attempts"] == 1
    assert "non-public address 127.0.0.1" in dead[0]["last_error"]


async def test_webhook_to_ipv4_compatible_loopback_is_refused_as_such(
    client: httpx.AsyncClient, admin_headers: dict[str, str], guarded: Any
) -> None:
    with listening("127.0.0.1") as target:
        channel = await add_channel(
            client,
            admin_headers,
            name="hook",
            type="webhook",
            config={"url": f"http://[::7f00:1]:{target.port}/hook"},
        )
        result = await send_test(client, admin_headers, channel)
    assert result["ok"] is False
    assert "IPv4-compatible" in result["error"], result
    assert target.connections == 0


async def test_one_allow_list_for_webhooks_and_email(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    guarded: Any,
    smtp_server: SmtpSink,
) -> None:
    guarded.allowed_networks = ["127.0.0.2/32", "127.0.0.1/32"]
    with listening("127.0.0.2") as target:
        hook = await add_channel(
            client, admin_headers, name="hook", type="webhook", config={"url": f"{target.base}/h"}
        )
        assert (await send_test(client, admin_headers, hook))["ok"] is True
    mail = await add_channel(
        client,
        admin_headers,
        name="mail",
        type="email",
        config={
            "host": "127.0.0.1",
            "port": smtp_server.port,
            "tls_mode": "none",
            "from_address": "wd@example.com",
        },
    )
    assert (await send_test(client, admin_headers, mail))["ok"] is True
    assert target.paths == ["/h"]
    assert len(smtp_server.messages) == 1
    guarded.allowed_networks = []
    refused = await send_test(client, admin_headers, mail)
    assert refused["ok"] is False
    assert "non-public address 127.0.0.1" in refused["error"]
    assert len(smtp_server.messages) == 1


async def test_target_urls_that_the_client_cannot_parse_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for url in ("http://0177.0.0.1/x", "http://[::1/x", "http://[::1]:99999/"):
        response = await client.post(
            "/api/notifications/channels",
            json={"name": "bad", "type": "webhook", "config": {"url": url}},
            headers=admin_headers,
        )
        assert_error(response, 422)
