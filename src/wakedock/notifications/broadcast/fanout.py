"""The worker side of a broadcast: page through the audience, one transaction per batch.

Each batch inserts the recipients' notifications, plans their deliveries and moves the
broadcast's cursor in one commit, so memory stays at one batch and a crash resumes exactly
where the last commit left off (the cursor update is conditional: a second worker that took
over an expired lease cannot insert the same batch twice). A worker that is stopping leaves
between batches: the next start goes on from the cursor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.broker import Broker
from wakedock.db.engine import write_gate
from wakedock.db.rows import by_ids
from wakedock.notifications import events
from wakedock.notifications.channels.base import OutgoingMessage
from wakedock.notifications.models import Broadcast, Delivery
from wakedock.notifications.states import BroadcastStatus
from wakedock.notifications.store import Content, Created

if TYPE_CHECKING:
    from wakedock.notifications.delivery.worker import DeliveryWorker

BATCH_SIZE = 500
# On the table, not the mapped class: a Core UPDATE skips the ORM's bulk-update machinery.
_broadcasts = Broadcast.metadata.tables[Broadcast.__tablename__]
# Broadcasts going out together take fewer users a batch: a batch holds at most this many
# rows (and their events) in memory.
ROWS_PER_BATCH = 5000
FIRST_ROWS = 250
RAMP = 4


def content_of(broadcast: Broadcast) -> Content:
    payload = broadcast.payload
    expires = payload.get("expires_at")
    return Content(
        title=payload["title"],
        message=payload.get("message", ""),
        type=payload["type"],
        priority=payload["priority"],
        data=payload.get("data") or {},
        action_url=payload.get("action_url"),
        action_label=payload.get("action_label"),
        source="broadcast",
        expires_at=datetime.fromisoformat(expires) if expires else None,
    )


async def run(worker: DeliveryWorker, session: AsyncSession, jobs: Sequence[Delivery]) -> set[int]:
    """Fan out the broadcasts of ``jobs`` (claimed together); returns the ids of the jobs with
    nothing left to do (their broadcast is gone or complete: cancelled, not failed).

    Broadcasts to the same audience that stand at the same cursor (usually: sent at the same
    moment, none started) go through the audience together, in lockstep: each batch of users
    gets every one of them in one transaction (``sending.deliver_many``: one statement per
    step for all of them, preferences read once), and each user's copies go out in one
    publish, so a socket gets them in one write. 20 broadcasts to 1,000 users took 20 x 2
    transactions and 20 writes a socket; together they take 2 and 1.
    """
    skipped: set[int] = set()
    groups: dict[tuple[str, int | None], list[tuple[Delivery, Broadcast]]] = {}
    jobs = sorted(jobs, key=lambda j: j.id)
    found = {
        broadcast.id: broadcast
        for broadcast in await by_ids(session, Broadcast, [j.target["broadcast_id"] for j in jobs])
    }
    for job in jobs:
        broadcast = found.get(job.target["broadcast_id"])
        if broadcast is None or broadcast.status == BroadcastStatus.COMPLETED:
            skipped.add(job.id)
            continue
        key = (json.dumps(broadcast.target, sort_keys=True), broadcast.cursor_user_id)
        groups.setdefault(key, []).append((job, broadcast))
    for group in groups.values():
        try:
            await _run_group(worker, session, group)
        except _TakenOver:
            skipped.update(job.id for job, _ in group)
    return skipped


async def _run_group(
    worker: DeliveryWorker, session: AsyncSession, group: list[tuple[Delivery, Broadcast]]
) -> None:
    from wakedock.notifications import sending
    from wakedock.notifications.broadcast.service import audience_query
    from wakedock.notifications.delivery.worker import Released
    from wakedock.notifications.preferences import service as preferences

    target = group[0][1].target
    contents = [content_of(broadcast) for _, broadcast in group]
    cursor = group[0][1].cursor_user_id
    size = max(1, min(BATCH_SIZE, ROWS_PER_BATCH // len(group)))
    # A fresh group's first batches ramp up: the first users get it at once (a batch of 5,000
    # rows takes SQLite about 50 ms), and their sockets are busy with one batch while the
    # next, a few times larger, is written.
    page = max(1, min(size, FIRST_ROWS // len(group))) if not cursor else size
    while True:
        if worker.stopping:
            raise Released()
        ids = list(
            (await session.scalars(audience_query(target, after_id=cursor).limit(page))).all()
        )
        now = worker.clock.now()
        # The last page (shorter than a batch) completes the broadcasts in its transaction.
        last = len(ids) < page
        created: list[Created] = []
        # On SQLite, the batch waits for its turn to write with the creates (and the other
        # broadcasts' batches) instead of in SQLite's busy handler, which sleeps in growing
        # steps: 20 broadcasts at once spent most of their time asleep there.
        async with write_gate(session):
            if ids:
                known = await preferences.recipients(session, user_ids=ids)
                created = await sending.deliver_many(
                    session,
                    [
                        sending.Send(ids, content, broadcast.sender_id, known, now,
                                     broadcast_id=broadcast.id)
                        for content, (_, broadcast) in zip(contents, group, strict=True)
                    ],
                    by_user=True,  # a user's copies together: the indexes' work is less
                )  # fmt: skip
            # Every broadcast of the group reached the same users: one UPDATE moves them all.
            values: dict[str, Any] = {"status": BroadcastStatus.SENDING}
            if ids:
                reached = len(created[0].notifications)
                values.update(cursor_user_id=ids[-1], delivered=_broadcasts.c.delivered + reached)
            if last:
                values.update(status=BroadcastStatus.COMPLETED, completed_at=now)
            moved = await session.execute(
                update(_broadcasts)
                .where(_broadcasts.c.id.in_([b.id for _, b in group]), _at(cursor))
                .values(**values)
            )
            if getattr(moved, "rowcount", 0) != len(group):
                # Another worker took over an expired lease and did this page already: leave
                # the group to it (the jobs end as cancelled).
                await session.rollback()
                raise _TakenOver()
            lease = now + timedelta(seconds=worker.settings.delivery_lease_seconds)
            for job, _ in group:
                job.lease_until = lease
            await session.commit()
        await publish_all(worker.broker, created)
        if last:
            return
        cursor, page = ids[-1], min(size, page * RAMP)


class _TakenOver(Exception):
    """Another worker moved a broadcast's cursor first (it took over an expired lease)."""


def _at(cursor: int | None) -> Any:
    column = _broadcasts.c.cursor_user_id
    return column.is_(None) if cursor is None else column == cursor


async def publish_all(broker: Broker | None, batches: Sequence[Created]) -> None:
    """``sending.publish`` for the batches of broadcasts written together: the rows of one are
    copies of one content, so their events go as one broker message for the page
    (``events.copies``: each content encoded once; a user's copies in the order they were
    stored, their stream positions). Removals (retention) first, as ``sending.publish`` does."""
    for created in batches:
        for user_id, notification_id in created.replaced:
            await events.deleted(broker, user_id=user_id, notification_id=notification_id)
    await events.publish_copies(broker, [created.live for created in batches])


async def announcement(session: AsyncSession, broadcast_id: int) -> OutgoingMessage:
    """The one message a broadcast sends to each external channel it names."""
    from wakedock.notifications.delivery.worker import Skip

    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise Skip()
    p = broadcast.payload
    return OutgoingMessage(
        title=p["title"],
        body=p.get("message", ""),
        type=p["type"],
        priority=p["priority"],
        url=p.get("action_url"),
        event="broadcast",
    )
