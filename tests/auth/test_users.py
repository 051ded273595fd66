"""User administration and role-based access."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import UserFactory, assert_error, bearer, login


async def test_plain_user_gets_403_on_user_admin(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    error = assert_error(
        await client.get("/api/users", headers=user.headers), 403, "missing_permission"
    )
    assert error["details"] == {"missing": ["users:admin"]}
    assert_error(
        await client.post(
            "/api/users",
            json={"username": "x1", "email": "x1@example.com", "password": "password1"},
            headers=user.headers,
        ),
        403,
    )
    assert_error(await client.get(f"/api/users/{user.id}", headers=user.headers), 403)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("user", {"notifications:read", "dashboards:read", "dashboards:write", "account:manage"}),
        (
            "operator",
            {
                "notifications:read",
                "notifications:send",
                "dashboards:read",
                "dashboards:write",
                "audit:read",
                "account:manage",
            },
        ),
    ],
)
async def test_role_permissions(
    client: httpx.AsyncClient, make_user: UserFactory, role: str, expected: set[str]
) -> None:
    user = await make_user(role=role)
    me = (await client.get("/api/auth/me", headers=user.headers)).json()
    assert set(me["permissions"]) == expected


async def test_admin_crud(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    created = await client.post(
        "/api/users",
        json={
            "username": "carol",
            "email": "Carol@Example.com",
            "password": "carol-pass",
            "roles": ["operator"],
            "timezone": "America/New_York",
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "carol@example.com"
    assert body["roles"] == ["operator"]
    assert "password" not in created.text
    assert "password_hash" not in body
    uid = body["id"]

    got = (await client.get(f"/api/users/{uid}", headers=admin_headers)).json()
    assert got["timezone"] == "America/New_York"

    patched = await client.patch(
        f"/api/users/{uid}",
        json={"roles": ["user", "operator"], "email": "c@example.com"},
        headers=admin_headers,
    )
    assert patched.status_code == 200
    assert patched.json()["roles"] == ["operator", "user"]

    listed = (await client.get("/api/users?limit=1", headers=admin_headers)).json()
    assert len(listed["items"]) == 1
    assert listed["next_cursor"]
    page2 = (
        await client.get(
            f"/api/users?limit=1&cursor={listed['next_cursor']}", headers=admin_headers
        )
    ).json()
    assert page2["items"][0]["username"] == "carol"
    assert page2["next_cursor"] is None

    assert (await client.delete(f"/api/users/{uid}", headers=admin_headers)).status_code == 204
    assert_error(await client.get(f"/api/users/{uid}", headers=admin_headers), 404, "not_found")
    assert_error(await client.delete(f"/api/users/{uid}", headers=admin_headers), 404)


async def test_conflicts_and_bad_input_change_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    await make_user(username="dave")
    dup = await client.post(
        "/api/users",
        json={"username": "dave", "email": "other@example.com", "password": "password1"},
        headers=admin_headers,
    )
    assert_error(dup, 409, "username_taken")
    dup_mail = await client.post(
        "/api/users",
        json={"username": "dave2", "email": "DAVE@example.com", "password": "password1"},
        headers=admin_headers,
    )
    assert_error(dup_mail, 409, "email_taken")
    for bad in (
        {"username": "eve", "email": "not-an-email", "password": "password1"},
        {"username": "eve", "email": "eve@example.com", "password": "short"},
        {"username": "eve", "email": "eve@example.com", "password": "password1", "roles": ["root"]},
        {"username": "e v e", "email": "eve@example.com", "password": "password1"},
        {
            "username": "eve",
            "email": "eve@example.com",
            "password": "password1",
            "timezone": "Nowhere/X",
        },
        {"username": "eve", "email": "eve@example.com"},
    ):
        assert_error(await client.post("/api/users", json=bad, headers=admin_headers), 422)
    users = (await client.get("/api/users", headers=admin_headers)).json()["items"]
    assert {u["username"] for u in users} == {"admin", "dave"}


async def test_disabled_user_token_is_refused_at_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user = await make_user()
    token = (
        await client.post("/api/auth/api-tokens", json={"name": "script"}, headers=user.headers)
    ).json()["token"]
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 200
    response = await client.patch(
        f"/api/users/{user.id}", json={"is_active": False}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert_error(await client.get("/api/auth/me", headers=user.headers), 401)
    assert_error(await client.get("/api/auth/me", headers=bearer(token)), 401, "user_disabled")
    assert_error(
        await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token}), 401
    )
    assert_error(
        await client.post(
            "/api/auth/login", json={"username": user.username, "password": user.password}
        ),
        401,
        "invalid_credentials",
    )
    # Re-enabled: logging in works again, old sessions stay revoked.
    await client.patch(f"/api/users/{user.id}", json={"is_active": True}, headers=admin_headers)
    await login(client, user.username, user.password)
    assert_error(await client.get("/api/auth/me", headers=user.headers), 401)


async def test_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()
    assert_error(
        await client.patch(
            f"/api/users/{me['id']}", json={"is_active": False}, headers=admin_headers
        ),
        422,
    )
    assert_error(
        await client.patch(
            f"/api/users/{me['id']}", json={"roles": ["user"]}, headers=admin_headers
        ),
        422,
    )
    assert_error(await client.delete(f"/api/users/{me['id']}", headers=admin_headers), 422)
    assert (await client.get("/api/users", headers=admin_headers)).status_code == 200


async def test_admin_password_reset_ends_sessions(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user = await make_user()
    reset = await client.patch(
        f"/api/users/{user.id}", json={"password": "fresh-password"}, headers=admin_headers
    )
    assert reset.status_code == 200
    assert_error(await client.get("/api/auth/me", headers=user.headers), 401, "session_revoked")
    await login(client, user.username, "fresh-password")


async def test_user_admin_actions_are_audited_without_secrets(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user = await make_user()
    await client.patch(
        f"/api/users/{user.id}",
        json={"password": "secret-new-pass", "roles": ["operator"]},
        headers=admin_headers,
    )
    events = (
        await client.get(
            f"/api/audit?resource_type=user&resource_id={user.id}", headers=admin_headers
        )
    ).json()["items"]
    actions = [e["action"] for e in events]
    assert actions == ["user.update", "auth.login", "user.create"]
    assert events[0]["actor_name"] == "admin"
    assert events[0]["details"]["changes"]["roles"] == ["operator"]
    everything = (await client.get("/api/audit?limit=500", headers=admin_headers)).text
    assert "secret-new-pass" not in everything
    assert user.password not in everything
