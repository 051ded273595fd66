"""Login, refresh rotation, logout and the caller's own account."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN_PASSWORD, UserFactory, assert_error, bearer, login


async def test_admin_from_env_logs_in_and_sees_everything(client: httpx.AsyncClient) -> None:
    tokens = await login(client, "admin", ADMIN_PASSWORD)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] > 0
    me = (await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))).json()
    assert me["username"] == "admin"
    assert me["roles"] == ["admin"]
    assert "users:admin" in me["permissions"]
    assert "audit:read" in me["permissions"]
    assert me["timezone"] == "UTC"
    assert me["last_login_at"] is not None


async def test_login_by_email_works(client: httpx.AsyncClient) -> None:
    await login(client, "ADMIN@example.com", ADMIN_PASSWORD)


async def test_wrong_password_is_401_and_audited(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    assert_error(response, 401, "invalid_credentials")
    unknown = await client.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
    assert_error(unknown, 401, "invalid_credentials")
    assert unknown.json()["error"]["message"] == response.json()["error"]["message"]

    events = (
        await client.get("/api/audit?action=auth.login&success=false", headers=admin_headers)
    ).json()
    reasons = {(e["actor_name"], e["details"]["reason"]) for e in events["items"]}
    assert ("admin", "bad_password") in reasons
    assert ("ghost", "unknown_user") in reasons
    failed = next(e for e in events["items"] if e["actor_name"] == "admin")
    assert failed["ip"] == "203.0.113.7"
    assert failed["success"] is False


async def test_missing_or_garbage_token_is_401(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/auth/me"), 401, "unauthorized")
    assert_error(await client.get("/api/auth/me", headers=bearer("garbage")), 401, "invalid_token")
    assert_error(
        await client.get("/api/auth/me", headers=bearer("wdk_garbage")), 401, "invalid_token"
    )


async def test_refresh_token_works_once_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, app: Any
) -> None:
    app.state.settings.refresh_reuse_grace_seconds = 0  # no grace: the replay below is at once
    first = await login(client, "admin", ADMIN_PASSWORD)
    rotated = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/auth/me", headers=bearer(second["access_token"]))
    ).status_code == 200

    replay = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(replay, 401, "refresh_token_reused")
    # The whole family is gone: the newest tokens of that session stop working too.
    assert_error(
        await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
    )
    assert_error(
        await client.get("/api/auth/me", headers=bearer(second["access_token"])),
        401,
        "session_revoked",
    )
    # Other sessions of the same user are untouched.
    other = await login(client, "admin", ADMIN_PASSWORD)
    assert (
        await client.get("/api/auth/me", headers=bearer(other["access_token"]))
    ).status_code == 200


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.post("/api/auth/refresh", json={"refresh_token": "wdr_nope"}),
        401,
        "invalid_refresh_token",
    )


async def test_logout_revokes_access_and_refresh(client: httpx.AsyncClient) -> None:
    tokens = await login(client, "admin", ADMIN_PASSWORD)
    headers = bearer(tokens["access_token"])
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert_error(await client.get("/api/auth/me", headers=headers), 401, "session_revoked")
    assert_error(
        await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401
    )


async def test_oauth2_password_form(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    bad = await client.post("/api/auth/token", data={"username": "admin", "password": "x"})
    assert_error(bad, 401)


async def test_update_me_email_timezone_and_password(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    changed = await client.patch(
        "/api/auth/me",
        json={"email": "New@Example.com", "timezone": "Europe/Paris"},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "new@example.com"
    assert changed.json()["timezone"] == "Europe/Paris"

    bad_tz = await client.patch(
        "/api/auth/me", json={"timezone": "Mars/Olympus"}, headers=user.headers
    )
    error = assert_error(bad_tz, 422, "validation_error")
    assert error["details"][0]["loc"][-1] == "timezone"

    no_current = await client.patch(
        "/api/auth/me", json={"new_password": "another-pass"}, headers=user.headers
    )
    assert_error(no_current, 422)
    wrong_current = await client.patch(
        "/api/auth/me",
        json={"new_password": "another-pass", "current_password": "wrong"},
        headers=user.headers,
    )
    assert_error(wrong_current, 422)
    short = await client.patch(
        "/api/auth/me",
        json={"new_password": "short", "current_password": user.password},
        headers=user.headers,
    )
    assert_error(short, 422)
    # Nothing changed by the refused attempts: the old password still works.
    await login(client, user.username, user.password)

    other_session = await login(client, user.username, user.password)
    ok = await client.patch(
        "/api/auth/me",
        json={"new_password": "another-pass", "current_password": user.password},
        headers=user.headers,
    )
    assert ok.status_code == 200
    await login(client, user.username, "another-pass")
    assert_error(
        await client.post(
            "/api/auth/login", json={"username": user.username, "password": user.password}
        ),
        401,
    )
    # The session that changed the password stays; the others end.
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 200
    assert_error(
        await client.get("/api/auth/me", headers=bearer(other_session["access_token"])), 401
    )


async def test_unknown_fields_are_refused(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    response = await client.patch("/api/auth/me", json={"roles": ["admin"]}, headers=user.headers)
    assert_error(response, 422)
    me = (await client.get("/api/auth/me", headers=user.headers)).json()
    assert me["roles"] == ["user"]
