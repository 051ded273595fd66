"""A user's notifications on some topics, oldest first: what a topic-based client (ntfy's
``/{topic}/json?poll=1&since=...``) fetches before it goes on live.

Only the caller's own rows (``user_id``), visible at ``now``; each in the shape of the live
event (``events.notification_payload``), so a client converts one shape whether a
notification comes from the database or the broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.notifications.events import notification_payload
from wakedock.notifications.models import Notification, visible


async def on_topics(
    session: AsyncSession,
    *,
    user_id: int,
    topics: Sequence[str],
    now: datetime,
    after_id: int | None = None,
    since: datetime | None = None,
    latest: bool = False,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Notifications of ``user_id`` on ``topics`` after ``after_id`` and created at or after
    ``since``, oldest first, at most ``limit`` (the newest ones); ``latest``: the newest only."""
    query = select(Notification).where(
        Notification.user_id == user_id, Notification.topic.in_(list(topics)), visible(now)
    )
    if after_id is not None:
        query = query.where(Notification.id > after_id)
    if since is not None:
        query = query.where(Notification.created_at >= since)
    query = query.order_by(Notification.id.desc()).limit(1 if latest else limit)
    rows = (await session.scalars(query)).all()
    return [notification_payload(row) for row in reversed(rows)]
