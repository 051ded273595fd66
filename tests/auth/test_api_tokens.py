"""API tokens: shown once, hashed at rest, scoped, revocable, owner-only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, select, update

from tests.conftest import UserFactory, assert_error, bearer, login
from wakedock.auth.models import ApiToken


async def test_token_lifecycle(
    client: httpx.AsyncClient, make_user: UserFactory, app: object
) -> None:
    user = await make_user()
    created = await client.post(
        "/api/auth/api-tokens", json={"name": "backup script"}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["token"]
    assert token.startswith("wdk_")
    assert body["prefix"] == token[:10]
    assert body["scopes"] is None

    listed = (await client.get("/api/auth/api-tokens", headers=user.headers)).json()
    assert [t["name"] for t in listed] == ["backup script"]
    assert "token" not in listed[0]
    assert token not in str(listed)

    me = await client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["username"] == user.username

    # Only a hash is stored.
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = (await session.scalars(select(ApiToken))).all()
    assert all(token not in (r.token_hash, r.prefix) for r in rows)
    assert rows[0].last_used_at is not None

    assert_error(
        await client.post(
            "/api/auth/api-tokens", json={"name": "backup script"}, headers=user.headers
        ),
        409,
    )
    deleted = await client.delete(f"/api/auth/api-tokens/{body['id']}", headers=user.headers)
    assert deleted.status_code == 204
    assert_error(await client.get("/api/auth/me", headers=bearer(token)), 401, "invalid_token")


async def test_scopes_narrow_permissions(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api/auth/api-tokens",
        json={"name": "reader", "scopes": ["notifications:read"]},
        headers=admin_headers,
    )
    token = created.json()["token"]
    me = (await client.get("/api/auth/me", headers=bearer(token))).json()
    assert me["permissions"] == ["notifications:read"]
    assert_error(await client.get("/api/users", headers=bearer(token)), 403)
    assert_error(await client.get("/api/audit", headers=bearer(token)), 403)
    assert (await client.get("/api/users", headers=admin_headers)).status_code == 200


async def test_bad_token_requests(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    beyond = await client.post(
        "/api/auth/api-tokens", json={"name": "x", "scopes": ["users:admin"]}, headers=user.headers
    )
    assert_error(beyond, 422)
    unknown_scope = await client.post(
        "/api/auth/api-tokens", json={"name": "x", "scopes": ["root:all"]}, headers=user.headers
    )
    assert_error(unknown_scope, 422)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert_error(
        await client.post(
            "/api/auth/api-tokens", json={"name": "x", "expires_at": past}, headers=user.headers
        ),
        422,
    )
    assert_error(
        await client.post("/api/auth/api-tokens", json={"name": ""}, headers=user.headers), 422
    )
    assert (await client.get("/api/auth/api-tokens", headers=user.headers)).json() == []


async def test_expiring_token(
    client: httpx.AsyncClient, make_user: UserFactory, app: object
) -> None:
    user = await make_user()
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = (
        await client.post(
            "/api/auth/api-tokens", json={"name": "t", "expires_at": soon}, headers=user.headers
        )
    ).json()
    assert (await client.get("/api/auth/me", headers=bearer(body["token"]))).status_code == 200
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        row = await session.get(ApiToken, body["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        await session.commit()
    assert_error(
        await client.get("/api/auth/me", headers=bearer(body["token"])), 401, "token_expired"
    )


async def test_cannot_touch_another_users_token(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    bob = await make_user()
    body = (
        await client.post("/api/auth/api-tokens", json={"name": "mine"}, headers=alice.headers)
    ).json()
    assert_error(
        await client.delete(f"/api/auth/api-tokens/{body['id']}", headers=bob.headers), 404
    )
    assert (await client.get("/api/auth/api-tokens", headers=bob.headers)).json() == []
    assert (await client.get("/api/auth/me", headers=bearer(body["token"]))).status_code == 200


async def test_a_burst_with_a_fresh_token_writes_last_used_once(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    """A thousand sockets of one script connecting at once must not become a thousand writes
    (on SQLite each would queue for the write lock): the process remembers it wrote."""
    user = await make_user()
    token = (
        await client.post("/api/auth/api-tokens", json={"name": "burst"}, headers=user.headers)
    ).json()["token"]
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200
    # What every request of the burst that read the row before that write committed sees:
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.name == "burst").values(last_used_at=None)
        )
        await session.commit()
    updates: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", spy)
    try:
        answers = await asyncio.gather(
            *(client.get("/api/auth/me", headers=bearer(token)) for _ in range(5))
        )
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", spy)
    assert [a.status_code for a in answers] == [200] * 5
    assert updates == []


async def _token(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, **body: Any
) -> dict[str, Any]:
    created = await client.post(
        "/api/auth/api-tokens", json={"name": name, **body}, headers=headers
    )
    assert created.status_code == 201, created.text
    data: dict[str, Any] = created.json()
    return data


async def test_a_scoped_token_cannot_mint_a_wider_one(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """Issue 17 (2): a notifications:read token created an unscoped token that got 200 on
    /api/users. Without account:manage it may not create tokens at all; with it, a token it
    creates stays within its scopes (none asked: the same scopes), wider ones are a 403."""
    reader = (await _token(client, admin_headers, "reader", scopes=["notifications:read"]))["token"]
    refused = await client.post(
        "/api/auth/api-tokens", json={"name": "wide"}, headers=bearer(reader)
    )
    error = assert_error(refused, 403, "missing_permission")
    assert error["details"] == {"missing": ["account:manage"]}

    manager = await _token(
        client, admin_headers, "manager", scopes=["notifications:read", "account:manage"]
    )
    child = await _token(client, bearer(manager["token"]), "child")
    assert child["scopes"] == ["account:manage", "notifications:read"]
    assert_error(await client.get("/api/users", headers=bearer(child["token"])), 403)
    me = (await client.get("/api/auth/me", headers=bearer(child["token"]))).json()
    assert me["permissions"] == ["account:manage", "notifications:read"]

    for scopes in (["users:admin"], ["notifications:read", "users:admin", "audit:read"]):
        wider = await client.post(
            "/api/auth/api-tokens",
            json={"name": "wider", "scopes": scopes},
            headers=bearer(manager["token"]),
        )
        error = assert_error(wider, 403, "missing_permission")
        assert error["details"] == {"missing": sorted(set(scopes) - {"notifications:read"})}
        assert "users:admin" in error["message"]
    narrower = await _token(
        client, bearer(manager["token"]), "narrower", scopes=["notifications:read"]
    )
    assert narrower["scopes"] == ["notifications:read"]
    listed = (await client.get("/api/auth/api-tokens", headers=admin_headers)).json()
    assert sorted(t["name"] for t in listed) == ["child", "manager", "narrower", "reader"]


async def test_a_token_made_by_an_expiring_token_expires_with_it(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    soon = datetime.now(UTC) + timedelta(hours=1)
    parent = await _token(
        client,
        user.headers,
        "parent",
        scopes=["account:manage", "dashboards:read"],
        expires_at=soon.isoformat(),
    )
    child = await _token(client, bearer(parent["token"]), "child")
    assert datetime.fromisoformat(child["expires_at"]) == datetime.fromisoformat(
        parent["expires_at"]
    )
    later = (soon + timedelta(days=1)).isoformat()
    assert_error(
        await client.post(
            "/api/auth/api-tokens",
            json={"name": "longer", "expires_at": later},
            headers=bearer(parent["token"]),
        ),
        422,
    )
    names = [
        t["name"] for t in (await client.get("/api/auth/api-tokens", headers=user.headers)).json()
    ]
    assert names == ["parent", "child"]


async def test_account_management_needs_a_session_or_the_account_scope(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """Issue 17 (3): a dashboards:read token changed the e-mail (200) and revoked another
    token (204). Now PATCH /me and the token routes need account:manage, which an API token
    holds only when its scopes name it; an unscoped token does not imply it."""
    user = await make_user()
    other = await _token(client, user.headers, "other")
    scoped = await _token(client, user.headers, "dash", scopes=["dashboards:read"])
    unscoped = await _token(client, user.headers, "all")
    for token in (scoped["token"], unscoped["token"]):
        headers = bearer(token)
        me = await client.get("/api/auth/me", headers=headers)
        assert me.status_code == 200
        assert "account:manage" not in me.json()["permissions"]
        for response in (
            await client.patch("/api/auth/me", json={"email": "evil@example.com"}, headers=headers),
            await client.patch(
                "/api/auth/me",
                json={"current_password": user.password, "new_password": "taken-over-1"},
                headers=headers,
            ),
            await client.delete(f"/api/auth/api-tokens/{other['id']}", headers=headers),
            await client.get("/api/auth/api-tokens", headers=headers),
            await client.post("/api/auth/api-tokens", json={"name": "x"}, headers=headers),
        ):
            error = assert_error(response, 403, "missing_permission")
            assert error["details"] == {"missing": ["account:manage"]}
    # Nothing changed: the e-mail, the password, the other token.
    me = (await client.get("/api/auth/me", headers=user.headers)).json()
    assert me["email"] == f"{user.username}@example.com"
    assert "account:manage" in me["permissions"]  # a login session has it
    await login(client, user.username, user.password)
    assert (await client.get("/api/auth/me", headers=bearer(other["token"]))).status_code == 200
    names = [
        t["name"] for t in (await client.get("/api/auth/api-tokens", headers=user.headers)).json()
    ]
    assert names == ["other", "dash", "all"]

    # A token created for it may manage the account; any token may revoke itself.
    manager = await _token(client, user.headers, "manager", scopes=["account:manage"])
    changed = await client.patch(
        "/api/auth/me", json={"timezone": "Europe/Paris"}, headers=bearer(manager["token"])
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == "Europe/Paris"
    assert (
        await client.delete(f"/api/auth/api-tokens/{scoped['id']}", headers=bearer(scoped["token"]))
    ).status_code == 204
    assert_error(await client.get("/api/auth/me", headers=bearer(scoped["token"])), 401)
