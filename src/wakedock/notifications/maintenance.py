"""Maintenance: removing what has expired, run by the delivery worker's periodic pass.

A removal raises the user's replay floor (``stream.raise_replay_floor``), in the same
transaction: a client resuming from an id below a removed one is told to reset rather than
replayed a stream with holes it cannot see (the ledger's contract is in
``wakedock.notifications.stream``). No event is published: an expired notification is already
hidden from every read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.notifications.models import Notification
from wakedock.notifications.stream import raise_replay_floor


async def purge_expired(session: AsyncSession, *, now: datetime, limit: int = 1000) -> int:
    """Delete expired notifications (their pending deliveries go with them)."""
    rows = (
        await session.execute(
            select(Notification.id, Notification.user_id)
            .where(Notification.expires_at.is_not(None), Notification.expires_at <= now)
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    floors: dict[int, int] = {}
    for nid, uid in rows:
        floors[uid] = max(floors.get(uid, 0), int(nid))
    await session.execute(delete(Notification).where(Notification.id.in_([r[0] for r in rows])))
    for uid, nid in floors.items():
        await raise_replay_floor(session, user_id=uid, removed_id=nid)
    await session.commit()
    return len(rows)
