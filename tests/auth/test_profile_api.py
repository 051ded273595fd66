"""What the Profile page stands on (issue 21): home-network e-mail addresses, the caller's login
sessions, and the refresh token's grace window."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.conftest import ADMIN_PASSWORD, UserFactory, assert_error, bearer, login, make_settings
from wakedock.auth.models import RefreshToken
from wakedock.db.base import utcnow
from wakedock.email_address import normalize_email
from wakedock.main import create_app

HOME_ADDRESSES = [
    "admin@localhost",
    "nas@printer.local",
    "me@box.lan",
    "ops@wakedock.home.arpa",
    "root@svc.internal",
    "ci@runner.test",
    "a@sub.localhost",
]
MALFORMED = [
    "admin",
    "admin@",
    "@localhost",
    "a b@localhost",
    "a@-bad-.lan",
    "a@@x.lan",
    "a@x..lan",
]


@pytest.mark.parametrize("address", HOME_ADDRESSES)
def test_home_network_addresses_are_valid(address: str) -> None:
    assert normalize_email(address) == address


@pytest.mark.parametrize("address", [*MALFORMED, "a@site.invalid", "a@x.onion", "x\x00@x.lan"])
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="not a valid e-mail address"):
        normalize_email(address)


def test_domain_is_lower_cased_the_local_part_kept() -> None:
    assert normalize_email("Admin@NAS.Local") == "Admin@nas.local"
    assert normalize_email("Someone@Example.COM") == "Someone@example.com"


async def test_default_admin_at_localhost_edits_itself(tmp_path: Path, database_url: str) -> None:
    """The first admin with the shipped default e-mail changes its password alone, then its
    e-mail, then back to localhost."""
    settings = make_settings(tmp_path / "data", database_url, admin_email="admin@localhost")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
            tokens = await login(c, "admin", ADMIN_PASSWORD)
            headers = bearer(tokens["access_token"])
            me = (await c.get("/api/auth/me", headers=headers)).json()
            assert me["email"] == "admin@localhost"
            changed = await c.patch(
                "/api/auth/me",
                json={"current_password": ADMIN_PASSWORD, "new_password": "a-new-password-1"},
                headers=headers,
            )
            assert changed.status_code == 200, changed.text
            await login(c, "admin", "a-new-password-1")
            for email in ("admin@nas.home.arpa", "admin@localhost"):
                r = await c.patch("/api/auth/me", json={"email": email}, headers=headers)
                assert r.status_code == 200, r.text
                assert r.json()["email"] == email
            bad = await c.patch("/api/auth/me", json={"email": "admin@"}, headers=headers)
            assert_error(bad, 422, "validation_error")
            assert (await c.get("/api/auth/me", headers=headers)).json()["email"] == (
                "admin@localhost"
            )
            # Through the users API too.
            created = await c.post(
                "/api/users",
                json={"username": "nasuser", "email": "nas@box.lan", "password": "long-enough-1"},
                headers=headers,
            )
            assert created.status_code == 201, created.text


async def test_sessions_list_and_sign_out_others(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice = await make_user()
    second = await login(client, alice.username, alice.password)
    bob = await make_user()
    listed = (await client.get("/api/auth/sessions", headers=alice.headers)).json()
    assert len(listed) == 2
    assert [s["current"] for s in listed].count(True) == 1
    assert all("token" not in key for s in listed for key in s)
    assert listed[0]["ip"] == "203.0.113.7"

    revoked = await client.post("/api/auth/sessions/revoke-others", headers=alice.headers)
    assert revoked.status_code == 200
    assert revoked.json() == {"revoked": 1}
    assert_error(
        await client.get("/api/auth/me", headers=bearer(second["access_token"])),
        401,
        "session_revoked",
    )
    assert (await client.get("/api/auth/me", headers=alice.headers)).status_code == 200
    # Bob's session is his own: untouched.
    assert (await client.get("/api/auth/me", headers=bob.headers)).status_code == 200
    assert len((await client.get("/api/auth/sessions", headers=bob.headers)).json()) == 1
    assert len((await client.get("/api/auth/sessions", headers=alice.headers)).json()) == 1


async def test_sign_out_others_is_audited_and_needs_account_manage(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    alice = await make_user()
    await client.post("/api/auth/sessions/revoke-others", headers=alice.headers)
    events = (
        await client.get("/api/audit?action=auth.sessions.revoke_others", headers=admin_headers)
    ).json()["items"]
    assert [(e["actor_name"], e["resource_id"]) for e in events] == [
        (alice.username, str(alice.id))
    ]
    token = await client.post(
        "/api/auth/api-tokens", json={"name": "script"}, headers=alice.headers
    )
    script = bearer(token.json()["token"])
    assert_error(await client.get("/api/auth/sessions", headers=script), 403)
    assert_error(await client.post("/api/auth/sessions/revoke-others", headers=script), 403)
    scoped = await client.post(
        "/api/auth/api-tokens",
        json={"name": "manager", "scopes": ["account:manage"]},
        headers=alice.headers,
    )
    refused = await client.post(
        "/api/auth/sessions/revoke-others", headers=bearer(scoped.json()["token"])
    )
    assert_error(refused, 422, "login_session_required")
    assert_error(await client.post("/api/auth/sessions/revoke-others"), 401)


async def test_refresh_reused_within_grace_gets_a_pair_of_the_same_session(
    client: httpx.AsyncClient,
) -> None:
    first = await login(client, "admin", ADMIN_PASSWORD)
    rotated = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    again = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 200, again.text
    retried = again.json()
    # Nothing revoked: both pairs work, and both go on rotating.
    for pair in (rotated, retried):
        assert (
            await client.get("/api/auth/me", headers=bearer(pair["access_token"]))
        ).status_code == 200
        nxt = await client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert nxt.status_code == 200


async def test_refresh_reused_after_grace_revokes_the_family(
    client: httpx.AsyncClient, app: Any
) -> None:
    first = await login(client, "admin", ADMIN_PASSWORD)
    rotated = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    grace = app.state.settings.refresh_reuse_grace_seconds
    async with app.state.sessionmaker() as session:  # its rotation, just past the window
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.used_at.is_not(None))
            .values(used_at=utcnow() - timedelta(seconds=grace + 1))
        )
        await session.commit()
    replay = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(replay, 401, "refresh_token_reused")
    assert_error(
        await client.get("/api/auth/me", headers=bearer(rotated["access_token"])),
        401,
        "session_revoked",
    )
