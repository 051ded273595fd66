"""Templates (sandboxed Jinja2) and topic subscriptions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory, assert_error

TEMPLATE = {
    "name": "deploy-done",
    "description": "A deployment finished",
    "type": "deployment",
    "priority": "normal",
    "title_template": "{{ service }} deployed ({{ version }})",
    "message_template": (
        "{{ service }} is now at {{ version }}{% if by is defined %} — by {{ by }}{% endif %}."
    ),
    "action_url_template": "https://ci.example.com/{{ service }}",
    "default_ttl_seconds": 3600,
}


async def test_template_crud_preview_and_use(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    created = await client.post(
        "/api/notifications/templates", json=TEMPLATE, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    assert_error(
        await client.post("/api/notifications/templates", json=TEMPLATE, headers=admin_headers), 409
    )
    preview = (
        await client.post(
            "/api/notifications/templates/deploy-done/preview",
            json={"variables": {"service": "web", "version": "2.1", "by": "ana"}},
            headers=admin_headers,
        )
    ).json()
    assert preview["title"] == "web deployed (2.1)"
    assert preview["message"] == "web is now at 2.1 — by ana."
    assert preview["action_url"] == "https://ci.example.com/web"

    user = await make_user(role="operator")
    sent = await client.post(
        "/api/notifications",
        json={"template": "deploy-done", "variables": {"service": "api", "version": "3"}},
        headers=user.headers,
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["title"] == "api deployed (3)"
    assert body["type"] == "deployment"
    assert body["expires_at"] is not None

    patched = await client.patch(
        "/api/notifications/templates/deploy-done", json={"priority": "high"}, headers=admin_headers
    )
    assert patched.json()["priority"] == "high"
    assert patched.json()["title_template"] == TEMPLATE["title_template"]
    listed = (await client.get("/api/notifications/templates", headers=admin_headers)).json()
    assert [t["name"] for t in listed] == ["deploy-done"]
    assert (
        await client.delete("/api/notifications/templates/deploy-done", headers=admin_headers)
    ).status_code == 204
    assert_error(
        await client.get("/api/notifications/templates/deploy-done", headers=admin_headers), 404
    )
    assert_error(await client.get("/api/notifications/templates", headers=user.headers), 403)


async def test_missing_variables_and_syntax_errors_are_clear_422s(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await client.post("/api/notifications/templates", json=TEMPLATE, headers=admin_headers)
    missing = await client.post(
        "/api/notifications/templates/deploy-done/preview",
        json={"variables": {"service": "web"}},
        headers=admin_headers,
    )
    error = assert_error(missing, 422)
    assert "version" in error["message"]
    sent = await client.post(
        "/api/notifications",
        json={"template": "deploy-done", "variables": {}},
        headers=admin_headers,
    )
    assert_error(sent, 422)
    assert (await client.get("/api/notifications", headers=admin_headers)).json()["items"] == []
    broken = {**TEMPLATE, "name": "broken", "message_template": "{% if x %}unclosed"}
    error = assert_error(
        await client.post("/api/notifications/templates", json=broken, headers=admin_headers), 422
    )
    assert "message_template" in error["message"]
    assert "syntax" in error["message"]


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
    ],
)
async def test_templates_are_sandboxed(
    client: httpx.AsyncClient, admin_headers: dict[str, str], source: str
) -> None:
    await client.post(
        "/api/notifications/templates",
        json={**TEMPLATE, "name": "evil", "title_template": source},
        headers=admin_headers,
    )
    response = await client.post(
        "/api/notifications/templates/evil/preview", json={"variables": {}}, headers=admin_headers
    )
    assert response.status_code == 422, response.text
    assert "subclasses" not in response.text
    assert (
        "__globals__" not in response.text or response.json()["error"]["code"] == "validation_error"
    )


async def test_topic_subscriptions_target_matching_subscribers(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    ci = await make_user(role="operator")
    web_fan = await make_user()
    all_deploys = await make_user()
    picky = await make_user()
    bystander = await make_user()

    async def sub(user: Any, **body: Any) -> dict[str, Any]:
        response = await client.post(
            "/api/notifications/subscriptions", json=body, headers=user.headers
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    await sub(web_fan, topic="deployment", resource_id="service:web")
    await sub(all_deploys, topic="deployment")
    picky_sub = await sub(
        picky, topic="deployment", priority_threshold="high", notification_types=["error"]
    )
    assert_error(
        await client.post(
            "/api/notifications/subscriptions",
            json={"topic": "deployment"},
            headers=all_deploys.headers,
        ),
        409,
    )

    sent = await client.post(
        "/api/notifications",
        json={
            "title": "web 1.2 deployed",
            "type": "deployment",
            "topic": "deployment",
            "resource_id": "service:web",
        },
        headers=ci.headers,
    )
    assert sent.status_code == 201, sent.text
    assert sorted(n["user_id"] for n in sent.json()["items"]) == sorted(
        [web_fan.id, all_deploys.id]
    )
    api = await client.post(
        "/api/notifications",
        json={
            "title": "api deployed",
            "topic": "deployment",
            "resource_id": "service:api",
            "type": "error",
            "priority": "urgent",
        },
        headers=ci.headers,
    )
    assert sorted(n["user_id"] for n in api.json()["items"]) == sorted([all_deploys.id, picky.id])
    assert (await client.get("/api/notifications", headers=bystander.headers)).json()["items"] == []
    assert_error(
        await client.post(
            "/api/notifications",
            json={"title": "x", "topic": "deployment"},
            headers=bystander.headers,
        ),
        403,
    )

    paused = await client.patch(
        f"/api/notifications/subscriptions/{picky_sub['id']}",
        json={"is_active": False},
        headers=picky.headers,
    )
    assert paused.json()["is_active"] is False
    assert_error(
        await client.patch(
            f"/api/notifications/subscriptions/{picky_sub['id']}",
            json={"is_active": True},
            headers=web_fan.headers,
        ),
        404,
    )
    assert_error(
        await client.delete(
            f"/api/notifications/subscriptions/{picky_sub['id']}", headers=web_fan.headers
        ),
        404,
    )
    mine = (await client.get("/api/notifications/subscriptions", headers=web_fan.headers)).json()
    assert [s["resource_id"] for s in mine] == ["service:web"]
    assert (
        await client.delete(
            f"/api/notifications/subscriptions/{mine[0]['id']}", headers=web_fan.headers
        )
    ).status_code == 204
    for bad in (
        {"topic": ""},
        {"topic": "has space"},
        {"topic": "x", "priority_threshold": "max"},
        {"topic": "x", "notification_types": ["nope"]},
        {"topic": "x", "channels": ["missing"]},
    ):
        assert_error(
            await client.post(
                "/api/notifications/subscriptions", json=bad, headers=web_fan.headers
            ),
            422,
        )


async def test_retention_cap_deletes_oldest_read_first(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    await client.patch(
        "/api/notifications/preferences", json={"max_notifications": 3}, headers=user.headers
    )
    ids = [
        (
            await client.post("/api/notifications", json={"title": f"n{i}"}, headers=user.headers)
        ).json()["id"]
        for i in range(3)
    ]
    await client.post(f"/api/notifications/{ids[1]}/read", headers=user.headers)
    newest = (
        await client.post("/api/notifications", json={"title": "n3"}, headers=user.headers)
    ).json()["id"]
    kept = [
        n["id"]
        for n in (await client.get("/api/notifications", headers=user.headers)).json()["items"]
    ]
    assert kept == [newest, ids[2], ids[0]]


async def test_an_unsaved_draft_previews_without_being_stored(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    draft = {k: v for k, v in TEMPLATE.items() if k not in ("name", "description")}
    rendered = await client.post(
        "/api/notifications/templates/preview",
        json={"template": draft, "variables": {"service": "web", "version": "2.1"}},
        headers=admin_headers,
    )
    assert rendered.status_code == 200, rendered.text
    assert rendered.json()["title"] == "web deployed (2.1)"
    assert rendered.json()["type"] == "deployment"
    assert rendered.json()["ttl_seconds"] == 3600
    # Syntax errors name the part; missing variables name the variable; nothing is stored.
    broken = {**draft, "message_template": "{% if x %}unclosed"}
    error = assert_error(
        await client.post(
            "/api/notifications/templates/preview",
            json={"template": broken, "variables": {"service": "web", "version": "1"}},
            headers=admin_headers,
        ),
        422,
    )
    assert "message_template" in error["message"]
    missing = assert_error(
        await client.post(
            "/api/notifications/templates/preview",
            json={"template": draft, "variables": {"service": "web"}},
            headers=admin_headers,
        ),
        422,
    )
    assert "version" in missing["message"]
    # The sandbox holds for drafts too.
    escape = {**draft, "title_template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
    assert_error(
        await client.post(
            "/api/notifications/templates/preview",
            json={"template": escape, "variables": {}},
            headers=admin_headers,
        ),
        422,
    )
    assert_error(
        await client.post(
            "/api/notifications/templates/preview",
            json={"template": {**draft, "name": "x"}, "variables": {}},
            headers=admin_headers,
        ),
        422,
    )
    user = await make_user(role="operator")
    assert_error(
        await client.post(
            "/api/notifications/templates/preview",
            json={"template": draft, "variables": {}},
            headers=user.headers,
        ),
        403,
    )
    listed = (await client.get("/api/notifications/templates", headers=admin_headers)).json()
    assert listed == []
