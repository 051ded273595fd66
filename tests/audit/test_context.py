"""The client address every audit event, session and login throttle records: one spelling per
address, and never longer than the column, whatever a trusted proxy forwarded (issue 17)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD
from wakedock.audit.context import IP_MAX_LENGTH, normalize_ip


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:DB8::0001", "2001:db8::1"),
        ("testclient", "testclient"),
        ("x" * 300, "x" * IP_MAX_LENGTH),
    ],
)
def test_normalize_ip(host: str, expected: str) -> None:
    assert normalize_ip(host) == expected


async def test_a_forwarded_value_longer_than_the_column_is_not_a_500(app: Any) -> None:
    """A trusted proxy passing a client's junk ``X-Forwarded-For`` through made the address
    longer than the ``ip`` column: on PostgreSQL the login's audit insert failed (500)."""
    junk = "not-an-address-" * 10
    transport = httpx.ASGITransport(app=app, client=(junk, 0))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        failed = await client.post("/api/auth/login", json={"username": "admin", "password": "x"})
        ok = await client.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
        events = (await client.get("/api/audit?action=auth.login", headers=headers)).json()
    assert failed.status_code == 401
    assert ok.status_code == 200
    assert {event["ip"] for event in events["items"]} == {junk[:IP_MAX_LENGTH]}
