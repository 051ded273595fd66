"""POST /api/notifications/broadcast served by the gateway (``broadcast.direct``): a valid
broadcast never reaches the app and is answered, stored, audited and delivered as the app's
route does it; every other request gets exactly the app's answer."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.conftest import UserFactory
from tests.notifications.test_create_direct import AppSpy, gateway, spy  # noqa: F401 (fixtures)
from wakedock.audit.models import AuditEvent
from wakedock.notifications.models import Broadcast

PATH = "/api/notifications/broadcast"


def accepted_count() -> float:
    labels = {"method": "POST", "route": PATH, "status": "202"}
    return REGISTRY.get_sample_value("wakedock_http_requests_total", labels) or 0.0


async def _audits(app: Any, broadcast_ids: list[int]) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        rows = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "notification.broadcast")
                .order_by(AuditEvent.id)
            )
        ).all()
    by_id = {int(r.resource_id): r for r in rows if r.resource_id is not None}
    return [
        {
            "actor": (by_id[b].actor_id, by_id[b].actor_name, by_id[b].ip, by_id[b].user_agent),
            "details": by_id[b].details,
        }
        for b in broadcast_ids
    ]


async def test_a_valid_broadcast_is_served_without_the_app_as_the_app_serves_it(
    client: httpx.AsyncClient,
    gateway: httpx.AsyncClient,  # noqa: F811
    spy: AppSpy,  # noqa: F811
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
) -> None:
    alice = await make_user()
    listener = await make_user()
    before = accepted_count()
    body = {"title": "maintenance", "message": "tonight", "target": {"roles": ["user"]}}
    headers = {**admin_headers, "user-agent": "broadcast-tool/1.0"}
    direct = await gateway.post(PATH, json=body, headers=headers)
    assert direct.status_code == 202, direct.text
    assert ("POST", PATH) not in spy.seen
    assert accepted_count() == before + 1  # the app's metric, under the route's own label
    through_app = await client.post(PATH, json=body, headers=headers)
    assert through_app.status_code == 202
    assert accepted_count() == before + 2
    # The same answer either way (only the id differs), with the same headers.
    direct_id, app_id = direct.json()["broadcast_id"], through_app.json()["broadcast_id"]
    assert direct.content == through_app.content.replace(
        b'"broadcast_id":%d' % app_id, b'"broadcast_id":%d' % direct_id
    )
    assert direct.json()["recipients"] == 2
    for name in ("content-type", "cache-control", "x-content-type-options"):
        assert direct.headers.get(name) == through_app.headers.get(name), name
    # Stored and audited alike: the same actor (user, address, agent) and details.
    first, second = await _audits(app, [direct_id, app_id])
    assert first == second
    assert first["actor"] == (1, "admin", "203.0.113.7", "broadcast-tool/1.0")
    # And delivered alike: the worker was woken by both.
    await app.state.worker.drain()
    for user in (alice, listener):
        listed = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
        assert [n["title"] for n in listed] == ["maintenance", "maintenance"]
    async with app.state.sessionmaker() as session:
        stored = (
            await session.execute(
                select(Broadcast.id, Broadcast.status, Broadcast.recipients, Broadcast.delivered)
            )
        ).all()
    assert sorted(tuple(r)[1:] for r in stored) == [("completed", 2, 2)] * 2


async def test_every_refusal_is_the_apps_answer_and_stores_nothing(
    client: httpx.AsyncClient,
    gateway: httpx.AsyncClient,  # noqa: F811
    spy: AppSpy,  # noqa: F811
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
) -> None:
    alice = await make_user()
    admin = admin_headers
    json_type = {"content-type": "application/json"}
    ok = b'{"title": "x", "target": {"all": true}}'
    two_targets = b'{"title": "x", "target": {"all": true, "roles": ["user"]}}'
    huge_id = b'{"title": "x", "target": {"user_ids": [123456789012345678901234]}}'
    nul = b'{"title": "x\\u0000", "target": {"all": true}}'
    unknown_channel = b'{"title": "x", "target": {"all": true}, "channels": ["nope"]}'
    as_admin = {**admin, **json_type}
    cases: list[tuple[str, dict[str, str], bytes, bool]] = [
        # (what, headers, body, handed to the app)
        ("no token", json_type, ok, True),
        ("bad token", {**json_type, "authorization": "Bearer nope"}, ok, False),
        ("not an admin", {**alice.headers, **json_type}, ok, False),
        ("not JSON", as_admin, b"{title", True),
        ("no target", as_admin, b'{"title": "x"}', True),
        ("two targets", as_admin, two_targets, True),
        ("huge id", as_admin, huge_id, True),
        ("NUL", as_admin, nul, False),  # the guard refuses it before either path
        ("form body", {**admin, "content-type": "text/plain"}, ok, True),
        ("unknown channel", as_admin, unknown_channel, False),
    ]
    for what, case_headers, body, handed_over in cases:
        spy.seen.clear()
        headers = {**case_headers, "x-request-id": what.replace(" ", "-")}
        expected = await client.post(PATH, content=body, headers=headers)
        answer = await gateway.post(PATH, content=body, headers=headers)
        assert expected.status_code >= 400, (what, expected.text)
        assert (answer.status_code, answer.json()) == (expected.status_code, expected.json()), what
        assert answer.headers.get("www-authenticate") == expected.headers.get("www-authenticate")
        assert answer.headers["x-request-id"] == headers["x-request-id"], what
        assert (("POST", PATH) in spy.seen) is handed_over, what
    async with app.state.sessionmaker() as session:
        assert (await session.scalars(select(Broadcast.id))).all() == []
