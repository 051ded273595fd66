"""API tokens: shown once, hashed at rest, scoped, revocable, owner-only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, select, update

from tests.conftest import UserFactory, assert_error, bearer
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
