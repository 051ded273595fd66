"""auth.directory: the read API other domains use instead of auth's tables."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from tests.conftest import UserFactory
from wakedock.auth import directory


async def test_audiences_are_active_users_in_id_order_paged_by_cursor(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    operators = [await make_user("operator") for _ in range(3)]
    plain = await make_user()
    gone = await make_user("operator")
    response = await client.patch(
        f"/api/users/{gone.id}", json={"is_active": False}, headers=admin_headers
    )
    assert response.status_code == 200, response.text

    async with app.state.sessionmaker() as session:
        by_role = (await session.scalars(directory.audience(roles=["operator"]))).all()
        assert by_role == sorted(u.id for u in operators)  # the disabled operator is left out
        page = directory.audience(roles=["operator"], after_id=operators[0].id).limit(1)
        assert (await session.scalars(page)).all() == [operators[1].id]
        named = directory.audience(user_ids=[plain.id, gone.id, 10**12])
        assert (await session.scalars(named)).all() == [plain.id]
        everyone = (await session.scalars(directory.audience())).all()
        assert len(everyone) == 5  # and the first admin
        assert everyone == sorted(everyone)
        assert {plain.id, *(u.id for u in operators)} <= set(everyone)
        assert gone.id not in everyone
        counted = await session.scalar(
            select(func.count()).select_from(directory.audience(roles=["admin"]).subquery())
        )
        assert counted == 1

        asked = [plain.id, gone.id, 10**12, -1]
        assert await directory.active_ids(session, user_ids=asked) == {plain.id}
        assert await directory.active_ids(session, user_ids=[]) == set()

        contact = await directory.contact(session, user_id=plain.id)
        assert contact == directory.Contact(
            email=f"{plain.username}@example.com", username=plain.username
        )
        assert await directory.contact(session, user_id=10**12) is None
        assert await directory.timezone_of(session, user_id=plain.id) == "UTC"
        assert await directory.timezone_of(session, user_id=10**12) is None


def test_the_joinable_accounts_carry_no_secret() -> None:
    """What another domain may join is three public columns; never the password hash."""
    assert [c.name for c in directory.ACCOUNTS.c] == ["id", "is_active", "timezone"]
    assert str(select(directory.ACCOUNTS.c.id)) == "SELECT users.id \nFROM users"
