"""GET /api/audit: permission, filters, cursor pagination."""

from __future__ import annotations

import httpx

from tests.conftest import UserFactory, assert_error


async def test_audit_needs_audit_read(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user()
    assert_error(await client.get("/api/audit", headers=user.headers), 403)
    operator = await make_user(role="operator")
    assert (await client.get("/api/audit", headers=operator.headers)).status_code == 200


async def test_filters_and_pagination(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    for _ in range(3):
        await make_user()
    seen: list[int] = []
    cursor = None
    while True:
        url = "/api/audit?action=user.create&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=admin_headers)).json()
        seen.extend(e["id"] for e in page["items"])
        assert all(e["action"] == "user.create" for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # The admin created at start-up plus three users, newest first, no duplicates.
    assert len(seen) == 4
    assert seen == sorted(seen, reverse=True)

    prefix = (await client.get("/api/audit?action=auth.&limit=500", headers=admin_headers)).json()
    assert prefix["items"]
    assert all(e["action"].startswith("auth.") for e in prefix["items"])

    me = (await client.get("/api/auth/me", headers=admin_headers)).json()
    mine = (
        await client.get(
            f"/api/audit?actor_id={me['id']}&action=user.create", headers=admin_headers
        )
    ).json()
    assert len(mine["items"]) == 3

    bootstrap = (await client.get("/api/audit?actor_name=bootstrap", headers=admin_headers)).json()
    assert [e["action"] for e in bootstrap["items"]] == ["user.create"]

    first = prefix["items"][-1]
    window = (
        await client.get(
            "/api/audit", params={"since": first["at"], "until": first["at"]}, headers=admin_headers
        )
    ).json()
    assert window["items"] == []


async def test_bad_filters_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert_error(await client.get("/api/audit?cursor=%%%", headers=admin_headers), 422)
    assert_error(await client.get("/api/audit?limit=0", headers=admin_headers), 422)
    assert_error(await client.get("/api/audit?since=yesterday", headers=admin_headers), 422)
    assert_error(await client.get("/api/audit?success=maybe", headers=admin_headers), 422)
