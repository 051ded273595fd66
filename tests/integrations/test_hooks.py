"""Generic hooks and the admin API: a signed body through the hook's sandboxed templates; bad
signature 401, a template failing on the payload 422 naming the part (the raw payload kept on
the recent deliveries, bounded); secrets sealed, shown once, never listed, audited or logged;
only admins manage integrations."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import UserFactory, assert_error, bearer
from tests.integrations.conftest import Create
from wakedock.integrations import deliveries
from wakedock.integrations.models import Integration
from wakedock.integrations.signature import sign

SECRET = "hook-secret-0123456789"
HEADER = "X-Hook-Signature"
TEMPLATES = {
    "title": "{{ payload.service }} is {{ payload.state }}",
    "message": "{{ payload.detail | default('') }}",
    "priority": "{% if payload.state == 'down' %}urgent{% else %}low{% endif %}",
    "type": "{{ payload.kind | default('monitoring') }}",
    "group_key": "{{ payload.service }}",
    "action_url": "{{ payload.link | default('') }}",
}


async def _hook(create: Create, **extra: Any) -> dict[str, Any]:
    return await create(
        "hook",
        "uptime",
        secret=SECRET,
        signature_header=HEADER,
        templates=TEMPLATES,
        **extra,
    )


def _send(
    client: httpx.AsyncClient, hook: dict[str, Any], payload: Any, *, secret: str = SECRET
) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        hook["url"],
        content=raw,
        headers={HEADER: sign(secret, raw), "Content-Type": "application/json"},
    )


async def _mine(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/notifications", headers=headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_hook_renders_and_replaces(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    hook = await _hook(create_integration)
    assert hook["url"] == f"/api/hooks/{hook['id']}"
    assert hook["secret"] == SECRET
    down = {
        "service": "api",
        "state": "down",
        "detail": "HTTP 502",
        "link": "https://up.example/api",
    }
    response = await _send(client, hook, down)
    assert response.status_code == 200, response.text
    (n,) = await _mine(client, admin_headers)
    assert (n["title"], n["message"], n["priority"], n["type"]) == (
        "api is down",
        "HTTP 502",
        "urgent",
        "monitoring",
    )
    assert n["action_url"] == "https://up.example/api"
    response = await _send(client, hook, {"service": "api", "state": "up"})
    (n2,) = await _mine(client, admin_headers)
    assert n2["title"] == "api is up"
    assert n2["priority"] == "low"


async def test_hook_refusals(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    hook = await _hook(create_integration)
    good = {"service": "api", "state": "down"}
    assert_error(
        await _send(client, hook, good, secret="wrong-secret-0123456"), 401, "bad_signature"
    )
    assert_error(await client.post(hook["url"], json=good), 401)
    # The signature in another header than the hook's: refused.
    raw = json.dumps(good).encode()
    response = await client.post(
        hook["url"], content=raw, headers={"X-Signature-256": sign(SECRET, raw)}
    )
    assert_error(response, 401)
    assert_error(await _send(client, {"url": "/api/hooks/999999"}, good), 404)
    assert_error(await _send(client, {"url": "/api/hooks/99999999999999999999"}, good), 422)

    missing = assert_error(await _send(client, hook, {"state": "down"}), 422)
    assert missing["message"].startswith("title: ")
    assert missing["details"][0]["loc"] == ["hook", "title"]
    bad_type = assert_error(await _send(client, hook, {**good, "kind": "party"}), 422)
    assert bad_type["message"].startswith("type: rendered 'party'")
    bad_url = assert_error(await _send(client, hook, {**good, "link": "javascript:alert(1)"}), 422)
    assert bad_url["message"].startswith("action_url: ")
    assert_error(await _send(client, hook, b"[" * 100 + b"]" * 100), 422)
    assert await _mine(client, admin_headers) == []

    listed = await client.get(f"/api/integrations/{hook['id']}/deliveries", headers=admin_headers)
    rows = listed.json()
    assert [r["status"] for r in rows] == ["failed"] * 4
    assert json.loads(rows[-1]["payload"]) == {"state": "down"}
    assert rows[-1]["error"].startswith("title: missing variable")


async def test_deliveries_are_bounded(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    hook = await _hook(create_integration)
    big = {"service": "api", "state": "up", "detail": "x" * 40_000}
    for index in range(deliveries.KEEP + 3):
        response = await _send(client, hook, {"n": index, **big})
        assert response.status_code == 200, response.text
    rows = (
        await client.get(f"/api/integrations/{hook['id']}/deliveries", headers=admin_headers)
    ).json()
    assert len(rows) == deliveries.KEEP
    assert all(len(r["payload"]) == deliveries.PAYLOAD_MAX for r in rows)
    assert all(r["payload_truncated"] for r in rows)
    assert rows[0]["payload"].startswith(f'{{"n": {deliveries.KEEP + 2}, ')
    assert rows[-1]["payload"].startswith('{"n": 3, ')


async def test_secret_sealed_never_shown(
    app: Any,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    create_integration: Create,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = await _hook(create_integration)
    github = await create_integration("github")  # a generated secret
    assert len(github["secret"]) >= 32
    async with app.state.sessionmaker() as session:
        rows = (await session.scalars(select(Integration))).all()
        assert all(r.config["secret"].startswith("enc:v1:") for r in rows)
    await _send(client, hook, {"service": "api", "state": "down"})
    await _send(client, hook, {"state": "down"})
    texts = [
        (await client.get("/api/integrations", headers=admin_headers)).text,
        (await client.get(f"/api/integrations/{hook['id']}", headers=admin_headers)).text,
        (await client.get("/api/audit?limit=100", headers=admin_headers)).text,
        caplog.text,
    ]
    for text in texts:
        assert SECRET not in text
        assert github["secret"] not in text
    listed = (await client.get("/api/integrations", headers=admin_headers)).json()
    assert all("secret" not in row and "token" not in row for row in listed)
    actions = [
        e["action"]
        for e in (await client.get("/api/audit?action=integration.", headers=admin_headers)).json()[
            "items"
        ]
    ]
    assert actions.count("integration.create") == 2
    assert actions.count("integration.deliver") == 2


async def test_admin_crud(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    create_integration: Create,
    make_user: UserFactory,
) -> None:
    hook = await _hook(create_integration)
    path = f"/api/integrations/{hook['id']}"
    changed = await client.patch(
        path, json={"target": {"topic": "uptime"}, "name": "uptime-2"}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["target"] == {"topic": "uptime", "roles": None, "user_ids": None}
    duplicate = await client.post(
        "/api/integrations",
        json={"kind": "grafana", "name": "uptime-2", "target": {"roles": ["admin"]}},
        headers=admin_headers,
    )
    assert_error(duplicate, 409, "integration_exists")
    # Bad definitions: 422, nothing stored.
    bad_bodies = [
        {"kind": "hook", "name": "h", "target": {"roles": ["admin"]}},
        {"kind": "hook", "name": "h", "target": {}, "templates": {"title": "x"}},
        {
            "kind": "hook",
            "name": "h",
            "target": {"topic": "a", "roles": ["admin"]},
            "templates": {"title": "x"},
        },
        {
            "kind": "hook",
            "name": "h",
            "target": {"roles": ["admin"]},
            "templates": {"title": "{% for %}"},
        },
        {
            "kind": "hook",
            "name": "h",
            "target": {"roles": ["admin"]},
            "templates": {"title": "{{ 'a' * 10**9 }}"},
        },
        {"kind": "alertmanager", "name": "h", "target": {"roles": ["admin"]}, "secret": "x" * 20},
        {"kind": "github", "name": "h", "target": {"user_ids": [2**63]}},
        {"kind": "github", "name": "h", "target": {"roles": ["root"]}},
        {"kind": "github", "name": "h" * 65, "target": {"roles": ["admin"]}},
        {"kind": "github", "name": "h", "target": {"roles": ["admin"]}, "secret": "short"},
        {
            "kind": "hook",
            "name": "h",
            "target": {"roles": ["admin"]},
            "templates": {"title": "x"},
            "signature_header": "Bad Header",
        },
    ]
    for body in bad_bodies:
        assert_error(await client.post("/api/integrations", json=body, headers=admin_headers), 422)
    assert len((await client.get("/api/integrations", headers=admin_headers)).json()) == 1

    # Only admins: a user and an operator get 403, anonymous 401.
    for role in ("user", "operator"):
        other = await make_user(role)
        for method, url, body in (
            ("GET", "/api/integrations", None),
            (
                "POST",
                "/api/integrations",
                {"kind": "grafana", "name": "x", "target": {"roles": ["user"]}},
            ),
            ("GET", path, None),
            ("PATCH", path, {"is_active": False}),
            ("DELETE", path, None),
            ("GET", f"{path}/deliveries", None),
        ):
            response = await client.request(method, url, json=body, headers=other.headers)
            assert_error(response, 403)
    assert_error(await client.get("/api/integrations"), 401)
    # An admin's API token scoped without notifications:admin: 403.
    scoped = await client.post(
        "/api/auth/api-tokens",
        json={"name": "read", "scopes": ["notifications:read"]},
        headers=admin_headers,
    )
    assert_error(await client.get("/api/integrations", headers=bearer(scoped.json()["token"])), 403)

    assert (await client.delete(path, headers=admin_headers)).status_code == 204
    for url in (path, f"{path}/deliveries"):
        assert_error(await client.get(url, headers=admin_headers), 404)
    assert_error(await client.delete(path, headers=admin_headers), 404)
    assert_error(await _send(client, hook, {"service": "a", "state": "b"}), 404)


async def test_secret_resealed_at_rotation_and_a_lost_key(
    app: Any,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    create_integration: Create,
    settings: Any,
) -> None:
    """``wakedock secrets rotate`` re-seals a hook's secret like every stored secret; with its
    key gone the hook answers 503 naming the problem, never a 500 or the secret."""
    from wakedock.vault import stored
    from wakedock.vault.keys import new_key, replace_keys_file

    hook = await _hook(create_integration)
    keyring = settings.keyring
    assert keyring.path is not None
    primary = new_key()
    replace_keys_file(keyring.path, [primary, *keyring.keys()])
    async with app.state.sessionmaker() as session:
        report = await stored.reseal_all(session, keyring)
    assert report.resealed == 1
    assert report.unreadable == []
    replace_keys_file(keyring.path, [primary])  # the old key retired
    good = {"service": "api", "state": "down"}
    assert (await _send(client, hook, good)).status_code == 200
    replace_keys_file(keyring.path, [new_key()])  # the key is lost
    lost = assert_error(await _send(client, hook, good), 503, "secret_unreadable")
    assert SECRET not in lost["message"]
