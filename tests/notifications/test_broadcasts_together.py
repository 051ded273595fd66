"""Broadcasts claimed together fan out together (``fanout.run``): every recipient still gets
each one as a create to them alone would give it, in the order they were sent; a broadcast
already under way goes on from its own cursor; the copies written in bulk on SQLite
(``sqlite_copies``, user by user for a group) carry the ids of their own rows; broadcasts
sent at once are stored together."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tests.conftest import UserFactory, statements_sent
from tests.notifications.test_quiet_hours import Listener, at, replayed
from wakedock.audit.models import AuditEvent
from wakedock.clock import FrozenClock
from wakedock.notifications import store
from wakedock.notifications.broadcast import fanout
from wakedock.notifications.models import Broadcast, Delivery, Notification


async def _send(client: httpx.AsyncClient, admin: dict[str, str], title: str) -> int:
    accepted = await client.post(
        "/api/notifications/broadcast",
        json={"title": title, "message": "m", "target": {"roles": ["user"]}},
        headers=admin,
    )
    assert accepted.status_code == 202, accepted.text
    broadcast_id: int = accepted.json()["broadcast_id"]
    return broadcast_id


@pytest.mark.parametrize("bulk_from", [1, 10_000], ids=["bulk-insert", "row-insert"])
async def test_broadcasts_sent_together_reach_everyone_in_order_in_one_pass(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    monkeypatch: Any,
    bulk_from: int,
) -> None:
    monkeypatch.setattr(store, "_BULK_FROM", bulk_from)
    monkeypatch.setattr(fanout, "ROWS_PER_BATCH", 12)  # 3 broadcasts: 4 users a batch
    clock = FrozenClock(at("2026-03-10T23:30"))
    app.state.clock = clock
    app.state.worker.clock = clock
    users = [await make_user() for _ in range(9)]
    quiet, picky = users[3], users[6]
    for user, body in (
        (quiet, {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00"}),
        (picky, {"min_priority": "high"}),
    ):
        changed = await client.patch(
            "/api/notifications/preferences",
            json={**body, "timezone": "Europe/Paris"},
            headers=user.headers,
        )
        assert changed.status_code == 200, changed.text
    earlier = {}
    for user in users:  # each stream already has a position
        made = await client.post(
            "/api/notifications", json={"title": "earlier"}, headers=user.headers
        )
        earlier[user.id] = made.json()["id"]
    groups: list[int] = []
    run_group = fanout._run_group

    async def counted(worker: Any, session: Any, group: Any) -> None:
        groups.append(len(group))
        await run_group(worker, session, group)

    monkeypatch.setattr(fanout, "_run_group", counted)
    listeners = [Listener(app, user.id) for user in users]
    for listener in listeners:
        await listener.__aenter__()
    try:
        titles = ["first", "second", "third"]
        sent = [await _send(client, admin_headers, title) for title in titles]
        await app.state.worker.drain()
        assert groups == [3]  # claimed together, written together
        for user, listener in zip(users, listeners, strict=True):
            items = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
            copies = sorted(
                (n for n in items if n["title"] in titles), key=lambda n: n["id"]
            )  # fmt: skip
            assert [n["title"] for n in copies] == titles
            assert all(n["user_id"] == user.id and n["message"] == "m" for n in copies)
            events = [e for e in await listener.settle() if e["type"] == "notification"]
            ids = [n["id"] for n in copies]
            if user is quiet or user is picky:
                assert events == []  # held until 07:00 / below their minimum priority
                assert await replayed(app, user.id, earlier[user.id]) == []
                continue
            # Each at the next position of their own stream, in the order sent, with the
            # listed shape.
            assert [(e["notification"]["id"], e["seq"]) for e in events] == list(
                zip(ids, [2, 3, 4], strict=True)
            )
            assert [e["notification"] for e in events] == copies
            assert await replayed(app, user.id, earlier[user.id]) == ids
    finally:
        for listener in listeners:
            await listener.__aexit__(None, None, None)

    async with app.state.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Notification.broadcast_id, Notification.user_id, Notification.title)
                .where(Notification.broadcast_id.in_(sent))
                .order_by(Notification.id)
            )
        ).all()
        broadcasts = (await session.scalars(select(Broadcast).where(Broadcast.id.in_(sent)))).all()
        jobs = (
            await session.scalars(
                select(Delivery.status).where(Delivery.channel_type == "broadcast")
            )
        ).all()
        held = (
            await session.scalars(
                select(Delivery.user_id).where(
                    Delivery.channel_type == "websocket", Delivery.status == "pending"
                )
            )
        ).all()
    expected = {(b, u.id, t) for b, t in zip(sent, titles, strict=True) for u in users}
    assert len(rows) == len(expected)  # once each
    assert set(rows) == expected  # and nobody else
    assert {(b.status, b.delivered) for b in broadcasts} == {("completed", len(users))}
    assert list(jobs) == ["succeeded"] * 3
    # The quiet one's three and their own earlier one: pushed when quiet hours end.
    assert list(held) == [quiet.id] * 4


async def test_a_broadcast_under_way_goes_on_from_its_cursor_beside_a_new_one(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
) -> None:
    users = sorted([await make_user() for _ in range(6)], key=lambda u: u.id)
    resumed = await _send(client, admin_headers, "resumed")
    # As a worker that stopped after the batch of the first three would have left it.
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == resumed)
            .values(status="sending", cursor_user_id=users[2].id, delivered=3)
        )
        await session.commit()
    fresh = await _send(client, admin_headers, "fresh")
    await app.state.worker.drain()
    async with app.state.sessionmaker() as session:
        reached = {
            b: sorted(
                (
                    await session.scalars(
                        select(Notification.user_id).where(Notification.broadcast_id == b)
                    )
                ).all()
            )
            for b in (resumed, fresh)
        }
        counts = {
            b.id: (b.status, b.delivered)
            for b in (
                await session.scalars(select(Broadcast).where(Broadcast.id.in_([resumed, fresh])))
            ).all()
        }
    assert reached[resumed] == [u.id for u in users[3:]]
    assert reached[fresh] == [u.id for u in users]
    assert counts == {resumed: ("completed", 6), fresh: ("completed", 6)}


async def test_a_broadcast_removed_before_its_turn_is_cancelled_not_failed(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
) -> None:
    user = await make_user()
    gone_id = await _send(client, admin_headers, "gone")
    kept_id = await _send(client, admin_headers, "kept")
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(Broadcast).where(Broadcast.id == gone_id).values(status="completed")
        )
        await session.commit()
    await app.state.worker.drain()
    items = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
    assert [n["title"] for n in items] == ["kept"]
    async with app.state.sessionmaker() as session:
        jobs = (
            await session.execute(
                select(Delivery.target, Delivery.status).where(Delivery.channel_type == "broadcast")
            )
        ).all()
    assert {target["broadcast_id"]: status for target, status in jobs} == {
        gone_id: "cancelled",
        kept_id: "succeeded",
    }


@pytest.mark.parametrize("same_users", [True, False], ids=["same-users", "other-users"])
async def test_copies_written_user_by_user_carry_their_own_rows_ids(
    app: Any, make_user: UserFactory, monkeypatch: Any, same_users: bool
) -> None:
    """A broadcast group's batch is written user by user on SQLite (``sqlite_copies``): each
    copy still carries the id of its own row, and each user's copies follow the order of the
    contents (ids and positions)."""
    monkeypatch.setattr(store, "_BULK_FROM", 1)
    ids = sorted([(await make_user()).id for _ in range(5)])
    audiences = [ids, ids, ids] if same_users else [ids, ids[1:4], ids[::2]]
    now = at("2026-03-10T12:00")
    inserts = [
        store.Insert(users, store.Content(title=f"content {k}"), None, now, pushed=set(users))
        for k, users in enumerate(audiences)
    ]
    async with app.state.sessionmaker() as session:
        written = await store.insert_for(session, inserts, by_user=True)
        await session.commit()
        made = [n for notifications, _ in written for n in notifications]
        rows = {
            row.id: (row.user_id, row.title, row.seq)
            for row in (
                await session.scalars(
                    select(Notification).where(Notification.id.in_([n.id for n in made]))
                )
            ).all()
        }
    assert len(rows) == len(made) == sum(len(a) for a in audiences)
    for k, (notifications, _) in enumerate(written):
        assert [n.user_id for n in notifications] == audiences[k]
        for n in notifications:
            assert rows[n.id] == (n.user_id, f"content {k}", n.seq)
    for uid in ids:
        mine = [
            (n.id, n.seq) for notifications, _ in written for n in notifications if n.user_id == uid
        ]
        assert [seq for _, seq in mine] == list(range(1, len(mine) + 1))
        assert [nid for nid, _ in mine] == sorted(nid for nid, _ in mine)
        if same_users and app.state.engine.dialect.name == "sqlite":
            # Inserted together: one run of ids a user.
            assert [nid for nid, _ in mine] == list(range(mine[0][0], mine[0][0] + len(mine)))


async def test_broadcasts_sent_at_once_are_stored_together_each_answered_and_audited(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory, app: Any
) -> None:
    await make_user()
    titles = [f"at once {i}" for i in range(12)]
    with statements_sent(app, "INSERT INTO audit_events") as audits:
        sent = await asyncio.gather(*(_send(client, admin_headers, t) for t in titles))
    assert len(set(sent)) == len(titles)
    if app.state.engine.dialect.name == "sqlite":
        assert len(audits) < len(titles)  # written together, a few batches
    await app.state.worker.drain()
    async with app.state.sessionmaker() as session:
        stored = dict((await session.execute(select(Broadcast.id, Broadcast.payload))).all())
        logged = (
            await session.scalars(
                select(AuditEvent.resource_id).where(AuditEvent.action == "notification.broadcast")
            )
        ).all()
        jobs = (
            await session.scalars(
                select(Delivery.status).where(Delivery.channel_type == "broadcast")
            )
        ).all()
    assert {stored[b]["title"] for b in sent} == set(titles)
    assert sorted(int(r) for r in logged) == sorted(sent)
    assert list(jobs) == ["succeeded"] * len(titles)


async def test_broadcasts_sent_at_once_each_count_their_own_audience_once_per_target(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory, app: Any
) -> None:
    """The audience is counted when the group is stored, once per distinct target: each
    broadcast is answered (and stored) with its own audience's size."""
    users = [await make_user() for _ in range(3)]
    targets = [{"roles": ["user"]}, {"user_ids": [users[0].id, users[2].id]}, {"all": True}]
    expected = {0: 3, 1: 2, 2: 4}  # "all": the admin too

    async def send(index: int) -> tuple[int, dict[str, Any]]:
        accepted = await client.post(
            "/api/notifications/broadcast",
            json={"title": f"t{index}", "target": targets[index % 3]},
            headers=admin_headers,
        )
        assert accepted.status_code == 202, accepted.text
        return index, accepted.json()

    with statements_sent(app, "SELECT count(*)") as counts:
        answers = await asyncio.gather(*(send(i) for i in range(12)))
    for index, answer in answers:
        assert answer["recipients"] == expected[index % 3], (index, answer)
    if app.state.engine.dialect.name == "sqlite":
        assert len(counts) < 12  # stored in a few groups, each counting a target once
    async with app.state.sessionmaker() as session:
        stored = dict((await session.execute(select(Broadcast.id, Broadcast.recipients))).all())
    assert {stored[a["broadcast_id"]] for i, a in answers if i % 3 == 1} == {2}
    assert sum(stored.values()) == sum(a["recipients"] for _, a in answers)


async def test_a_claim_waits_for_the_broadcasts_still_arriving_and_takes_them_together(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim woken by a stored broadcast waits while another broadcast POST of the process is
    in flight (``DeliveryWorker.arriving``), then takes both: one group, one pass."""
    from wakedock.notifications.delivery import worker as worker_module

    monkeypatch.setattr(worker_module, "ARRIVAL_WAIT_SECONDS", 30.0)
    await make_user()
    worker = app.state.worker
    groups: list[int] = []
    run_group = fanout._run_group

    async def recording(w: Any, session: Any, group: list[Any]) -> None:
        groups.append(len(group))
        await run_group(w, session, group)

    monkeypatch.setattr(fanout, "_run_group", recording)
    first = await _send(client, admin_headers, "first")
    with worker.arriving():  # a second POST in flight, not stored yet
        claiming = asyncio.ensure_future(worker.run_once())
        await asyncio.sleep(0.2)
        assert not claiming.done()  # waiting for the arrival, not claiming
        async with app.state.sessionmaker() as session:
            running = (
                await session.scalars(select(Delivery.id).where(Delivery.status == "running"))
            ).all()
        assert running == []
        second = await _send(client, admin_headers, "second")
    assert await asyncio.wait_for(claiming, 30) == 2  # both claimed at once
    assert groups == [2]  # and fanned out together
    async with app.state.sessionmaker() as session:
        done = dict((await session.execute(select(Broadcast.id, Broadcast.status))).all())
    assert done == {first: "completed", second: "completed"}


async def test_a_fresh_broadcast_ramps_up_from_a_small_first_batch(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    app: Any,
    monkeypatch: Any,
) -> None:
    """Its first users get it at once; each next batch is ``RAMP`` times larger, up to the
    batch size; every user still gets exactly one copy."""
    from wakedock.notifications import sending

    monkeypatch.setattr(fanout, "FIRST_ROWS", 1)
    monkeypatch.setattr(fanout, "RAMP", 2)
    users = [await make_user() for _ in range(9)]
    pages: list[int] = []
    deliver_many = sending.deliver_many

    async def counted(session: Any, sends: Any, **kwargs: Any) -> Any:
        pages.append(len(sends[0].user_ids))
        return await deliver_many(session, sends, **kwargs)

    monkeypatch.setattr(sending, "deliver_many", counted)
    broadcast_id = await _send(client, admin_headers, "ramp")
    await app.state.worker.drain()
    async with app.state.sessionmaker() as session:
        reached = (
            await session.scalars(
                select(Notification.user_id).where(Notification.broadcast_id == broadcast_id)
            )
        ).all()
    assert sorted(reached) == sorted(u.id for u in users)
    assert pages == [1, 2, 4, 2]  # 9 users: 1, 2, 4, then the 2 left
