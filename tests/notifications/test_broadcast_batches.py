"""A broadcast written a batch at a time gives every recipient what a create to them alone
gives: their own row, listed, pushed live at the next position of their stream, replayed from
there, read on its own; their preferences applied to their copy only; nobody else's row."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import UserFactory, statements_sent, until
from tests.notifications.test_quiet_hours import Listener, at, replayed
from wakedock.clock import FrozenClock
from wakedock.notifications.broadcast import fanout
from wakedock.notifications.models import Broadcast, Delivery, Notification
from wakedock.realtime import autoread

CONTENT = {"title": "Maintenance", "message": "at 22:00", "type": "system", "priority": "normal"}


async def _broadcast(client: httpx.AsyncClient, admin: dict[str, str], app: Any) -> int:
    accepted = await client.post(
        "/api/notifications/broadcast",
        json={**CONTENT, "target": {"roles": ["user"]}},
        headers=admin,
    )
    assert accepted.status_code == 202, accepted.text
    await app.state.worker.drain()
    broadcast_id: int = accepted.json()["broadcast_id"]
    return broadcast_id


async def test_each_recipient_of_a_batched_broadcast_gets_what_a_create_to_them_gives(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(fanout, "BATCH_SIZE", 2)  # 5 recipients: three batches
    users = [await make_user() for _ in range(5)]
    gone = await make_user()
    await client.patch(f"/api/users/{gone.id}", json={"is_active": False}, headers=admin_headers)
    earlier = {}
    for user in users:  # each stream already has a position
        made = await client.post(
            "/api/notifications", json={"title": "earlier"}, headers=user.headers
        )
        earlier[user.id] = made.json()["id"]
    listeners = [Listener(app, user.id) for user in users]
    for listener in listeners:
        await listener.__aenter__()
    try:
        broadcast_id = await _broadcast(client, admin_headers, app)
        # What a create to one user with the same content gives, for comparison.
        twin = (
            await client.post(
                "/api/notifications",
                json={**CONTENT, "source": "broadcast", "user_id": users[0].id},
                headers=admin_headers,
            )
        ).json()
        mine: dict[int, dict[str, Any]] = {}
        for user, listener in zip(users, listeners, strict=True):
            items = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
            copy = next(n for n in items if n["title"] == "Maintenance" and n["id"] != twin["id"])
            mine[user.id] = copy
            assert copy["user_id"] == user.id
            ignored = {"id", "user_id", "created_at"}
            assert {k: v for k, v in copy.items() if k not in ignored} == {
                k: v for k, v in twin.items() if k not in ignored
            }
            # Pushed live at the next position of their own stream (after the earlier one's),
            # with the listed shape; the twin create only to its user, after it.
            twin_event = [(twin["id"], 3)] if user is users[0] else []
            events = [e for e in await listener.settle() if e["type"] == "notification"]
            assert [(e["notification"]["id"], e["seq"]) for e in events] == [
                (copy["id"], 2),
                *twin_event,
            ]
            assert events[0]["notification"] == copy
            # Resumed from the start or from the earlier one, it is replayed in that order.
            twin_id = [twin["id"]] if user is users[0] else []
            assert await replayed(app, user.id, 0) == [earlier[user.id], copy["id"], *twin_id]
            assert await replayed(app, user.id, earlier[user.id]) == [copy["id"], *twin_id]
            assert await replayed(app, user.id, copy["id"]) == twin_id
    finally:
        for listener in listeners:
            await listener.__aexit__(None, None, None)

    # Read state is each recipient's own.
    first, second = users[0], users[1]
    await client.post(f"/api/notifications/{mine[first.id]['id']}/read", headers=first.headers)
    assert (
        await client.get(f"/api/notifications/{mine[second.id]['id']}", headers=second.headers)
    ).json()["read"] is False
    # Nobody reaches another's copy.
    response = await client.get(
        f"/api/notifications/{mine[second.id]['id']}", headers=first.headers
    )
    assert response.status_code == 404
    assert len({copy["id"] for copy in mine.values()}) == len(users)
    async with app.state.sessionmaker() as session:
        owners = (
            await session.scalars(
                select(Notification.user_id).where(Notification.broadcast_id == broadcast_id)
            )
        ).all()
        broadcast = await session.get(Broadcast, broadcast_id)
    assert sorted(owners) == sorted(u.id for u in users)  # the disabled user: none
    assert broadcast is not None
    assert (broadcast.status, broadcast.delivered) == ("completed", len(users))


async def test_each_recipients_preferences_apply_to_their_copy_only(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(fanout, "BATCH_SIZE", 2)  # the quiet and the picky one in different batches
    clock = FrozenClock(at("2026-03-10T23:30"))
    app.state.clock = clock
    app.state.worker.clock = clock
    plain, quiet, picky, muted = [await make_user() for _ in range(4)]
    preferences = [
        (
            quiet,
            {
                "quiet_hours_start": "22:00",
                "quiet_hours_end": "07:00",
                "timezone": "Europe/Paris",
            },
        ),
        (picky, {"min_priority": "high"}),
        (muted, {"websocket_enabled": False}),
    ]
    for user, body in preferences:
        changed = await client.patch(
            "/api/notifications/preferences", json=body, headers=user.headers
        )
        assert changed.status_code == 200, changed.text
    listeners = {user.id: Listener(app, user.id) for user in (plain, quiet, picky, muted)}
    for listener in listeners.values():
        await listener.__aenter__()
    try:
        broadcast_id = await _broadcast(client, admin_headers, app)

        async def pushed(user_id: int) -> list[tuple[int, int]]:
            events = await listeners[user_id].settle()
            return [
                (e["notification"]["id"], e["seq"]) for e in events if e["type"] == "notification"
            ]

        copies = {}
        for user in (plain, quiet, picky, muted):
            items = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
            assert [n["title"] for n in items] == ["Maintenance"]  # stored and listed for all
            copies[user.id] = items[0]["id"]
        assert await pushed(plain.id) == [(copies[plain.id], 1)]
        for user in (quiet, picky, muted):
            assert await pushed(user.id) == []
            assert await replayed(app, user.id, 0) == []
        async with app.state.sessionmaker() as session:
            held = (
                await session.execute(
                    select(Delivery.user_id, Delivery.run_at).where(
                        Delivery.channel_type == "websocket", Delivery.status == "pending"
                    )
                )
            ).all()
        # Only quiet hours hold a push for later: when they end.
        assert [(uid, run_at.replace(tzinfo=None)) for uid, run_at in held] == [
            (quiet.id, at("2026-03-11T07:00").replace(tzinfo=None))
        ]

        clock.set(at("2026-03-11T07:00"))
        await app.state.worker.drain()
        assert await pushed(quiet.id) == [(copies[quiet.id], 1)]
        assert await replayed(app, quiet.id, 0) == [copies[quiet.id]]
        for user in (picky, muted):
            assert await pushed(user.id) == []
    finally:
        for listener in listeners.values():
            await listener.__aexit__(None, None, None)
    async with app.state.sessionmaker() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
    assert broadcast is not None
    assert broadcast.delivered == 4


async def test_the_first_push_to_many_users_reads_their_auto_read_preference_in_batches(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    monkeypatch: Any,
) -> None:
    """A broadcast's first push to 10,000 fresh sockets looked each user's ``auto_mark_read``
    up on its own: 10,000 tasks, sessions and queries. Now a query reads a batch of users."""
    monkeypatch.setattr(autoread, "LOOKUP_BATCH", 3)
    users = [await make_user() for _ in range(7)]
    eager = users[4]
    await client.patch(
        "/api/notifications/preferences", json={"auto_mark_read": True}, headers=eager.headers
    )
    await _broadcast(client, admin_headers, app)
    copies = {}
    for user in users:
        items = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
        copies[user.id] = items[0]["id"]
    auto_read = app.state.hub.auto_read
    with statements_sent(app, "SELECT") as selects:
        for user in users:  # as the hub does for each user's pushed notification
            auto_read.pushed(user.id, [copies[user.id]])
        await until(lambda: all(u.id in auto_read.wanted for u in users), what="the lookups")

        async def eager_read() -> bool:
            one = await client.get(f"/api/notifications/{copies[eager.id]}", headers=eager.headers)
            return bool(one.json()["read"])

        await until(eager_read, what="the eager user's copy marked read")
    lookups = [s for s in selects if "notification_preferences" in s and "auto_mark_read" in s]
    assert 1 <= len(lookups) <= 3  # 7 users, 3 a query (a push meanwhile may add one)
    assert {u.id: auto_read.wanted[u.id] for u in users} == {u.id: u is eager for u in users}
    for user in users:
        if user is not eager:
            one = await client.get(f"/api/notifications/{copies[user.id]}", headers=user.headers)
            assert one.json()["read"] is False
