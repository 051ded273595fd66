"""Auto-read: a notification pushed to a user whose ``auto_mark_read`` preference is on is
marked read as it goes out, and every device of theirs is told (``read_state``).

The preference is read once per user with an open connection and cached (``wanted``); the
cache entry goes when their last connection closes, or when their preferences change: the
preferences router publishes an internal control message (``events.preferences_changed``, on the
user's channel, so every process's hub sees it) and the hub hands it here instead of to the
sockets. A user not yet in the cache counts as "on" until read, so the first push looks the
preference up. Those lookups are batched: the users pushed to while one is under way wait for
the next, which reads up to ``LOOKUP_BATCH`` of them in one query. A broadcast's first push
to 10,000 fresh sockets was 10,000 tasks, sessions and queries; it is now about 20 queries,
one task at a time.

The mark runs off the hub's dispatch loop, as a background task (a database round trip there
would hold up every socket); a failure is logged and changes nothing else: the notification
stays unread, as if the preference were off.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit.context import AuditActor
from wakedock.broker import Broker
from wakedock.clock import Clock
from wakedock.notifications import events, service
from wakedock.notifications.preferences import service as preferences
from wakedock.realtime.tasks import TaskSet

logger = logging.getLogger(__name__)
LOOKUP_BATCH = 500  # users whose preference one query reads


class AutoRead:
    """The auto-read preference of users with open connections, and the marking it asks for."""

    __slots__ = ("_looking", "_tasks", "_unknown", "broker", "clock", "sessionmaker", "wanted")

    def __init__(
        self,
        *,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        tasks: TaskSet,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.clock = clock
        self._tasks = tasks
        # user id -> their auto_mark_read preference, as last read.
        self.wanted: dict[int, bool] = {}
        # Users pushed to before their preference was read: the notifications pushed, in order.
        self._unknown: dict[int, list[int]] = {}
        self._looking = False  # a lookup task is running

    def pushed(self, user_id: int, notification_ids: list[int]) -> None:
        """Notifications went out to ``user_id``'s connections: mark them read if they wish."""
        wanted = self.wanted.get(user_id)
        if wanted is None:
            self._unknown.setdefault(user_id, []).extend(notification_ids)
            if not self._looking:
                self._looking = True
                self._tasks.spawn(self._look_up())
        elif wanted:
            # Off the dispatch loop: a database round trip here would hold up every socket.
            for notification_id in notification_ids:
                self._tasks.spawn(self._mark_one(user_id, notification_id))

    def control(self, user_id: int, message: dict[str, Any]) -> None:
        """An internal control message on the user's channel (``_prefs``: read again)."""
        if message["type"] == events.PREFERENCES_CHANGED:
            self.wanted.pop(user_id, None)

    def forget(self, user_id: int) -> None:
        """The user's last connection closed."""
        self.wanted.pop(user_id, None)

    async def _look_up(self) -> None:
        """Read the preference of the users waiting, a batch per query, until none wait; mark
        what was pushed to those who want it. A failed read leaves that batch unread."""
        try:
            while self._unknown:
                batch = dict(itertools.islice(self._unknown.items(), LOOKUP_BATCH))
                for user_id in batch:
                    del self._unknown[user_id]
                try:
                    async with self.sessionmaker() as session:
                        found = await preferences.get_many(session, user_ids=list(batch))
                except Exception:
                    logger.exception("auto_mark_read lookup failed for %d users", len(batch))
                    continue
                for user_id, pushed in batch.items():
                    prefs = found.get(user_id)
                    if prefs is None:  # deleted meanwhile: nothing to mark
                        continue
                    self.wanted[user_id] = prefs.auto_mark_read
                    if prefs.auto_mark_read:
                        for notification_id in pushed:
                            self._tasks.spawn(self._mark_one(user_id, notification_id))
        finally:
            self._looking = False

    async def _mark_one(self, user_id: int, notification_id: int) -> None:
        try:
            await self._mark(user_id, notification_id)
        except Exception:
            logger.exception("auto_mark_read failed for user %s", user_id)

    async def _mark(self, user_id: int, notification_id: int) -> None:
        async with self.sessionmaker() as session:
            await service.mark_read(
                session,
                actor=AuditActor(user_id, None, None, "websocket auto_mark_read"),
                user_id=user_id,
                ids=[notification_id],
                broker=self.broker,
                now=self.clock.now(),
            )
