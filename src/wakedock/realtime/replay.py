"""Replay: what a connection missed, read from the database and sent in stream order.

Two readers of the user's live stream (``stream.list_stream``, positions 1, 2, 3... per
user), both ending in the connection's ordering (``realtime/connection.py``):

- ``resume``: a client reconnecting with ``since`` gets every notification after it, oldest
  first, then goes on live with no gap and no duplicate. Live events arriving meanwhile wait
  in the connection's buffer; ``finish_replay(position)`` then drops those the replay sent,
  by position. A ``since`` below the replay floor (what was there has expired or been
  deleted) is answered with ``reset`` instead: the client reloads.
- ``fill_gap``: a connection holding newer notifications back for a missing position gives
  that position's live event ``GAP_WAIT_SECONDS`` to come (its publisher may have died
  between commit and publish, or the broker lost it), then reads it. Every position before
  the newest held back was committed before it (the user's row lock), so what the reading
  lacks is gone, not late. A failure closes the socket with 1012: the client resumes.

Both read ``REPLAY_PAGE`` rows a statement, and ``resume`` waits for room in the outbox
(``Connection.put``) instead of overflowing it, so a long absence costs pages, not memory.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.clock import Clock
from wakedock.notifications import events, stream
from wakedock.notifications.schemas import StoredNotification
from wakedock.realtime.connection import Connection, Message

logger = logging.getLogger(__name__)
SERVICE_RESTART = 1012
REPLAY_PAGE = 500
# How long a socket holds newer notifications back for a missing position's live event before
# reading it from the database (its publisher may have died between commit and publish).
GAP_WAIT_SECONDS = 0.5


class Replay:
    """Reads of the user's stream for one process's connections."""

    __slots__ = ("clock", "sessionmaker")

    def __init__(self, *, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def resume(
        self, conn: Connection, since: int, standing: stream.Standing | None = None
    ) -> None:
        """Send every notification after ``since`` in the user's live stream, oldest first,
        then go on live: no gap, no duplicate (live events arriving meanwhile are buffered,
        then those the replay sent are dropped by position). ``standing``: read by the hub's
        ``open`` for this ``since`` while live events were already held back."""
        if not conn.replaying:
            conn.replaying, conn.buffer = True, []
        position = None
        try:
            async with self.sessionmaker() as session:
                user_id = conn.user_id
                now = self.clock.now()
                # Read first: every position up to ``newest`` is committed, so the listing
                # below holds them all (the ones it lacks have expired or were deleted).
                if standing is None:
                    standing = await stream.standing(session, user_id=user_id, since=since, now=now)
                if since < standing.floor:
                    conn.offer('{"type":"reset"}', None)  # goes to the buffer, flushed below
                    position = standing.newest
                    return
                last = standing.after
                # A client already at the newest position (a reload, a brief drop) has every
                # notification given so far: nothing to list.
                while last < standing.newest:
                    rows = await stream.list_stream(
                        session, user_id=user_id, after_seq=last, limit=REPLAY_PAGE, now=now
                    )
                    for row in rows:
                        await conn.put(stream_message(row))
                    if rows:
                        last = rows[-1].seq or last
                    if len(rows) < REPLAY_PAGE:
                        break
                position = max(last, standing.newest)
        finally:
            conn.finish_replay(position)

    async def fill_gap(self, conn: Connection) -> None:
        """While ``conn`` holds notifications back for a missing position: give its live event
        a moment, then read what is missing from the database."""
        try:
            while conn.ahead and not conn.closing:
                await asyncio.sleep(GAP_WAIT_SECONDS)
                while conn.ahead and not conn.closing and not conn.replaying:
                    start, end = conn.seq, min(conn.ahead)
                    if start is None:
                        return
                    async with self.sessionmaker() as session:
                        rows = await stream.list_stream(
                            session,
                            user_id=conn.user_id,
                            after_seq=start,
                            before_seq=end,
                            limit=REPLAY_PAGE,
                            now=self.clock.now(),
                        )
                    if conn.replaying:
                        break  # the replay covers it
                    # Every position before ``end`` was committed before ``end`` was (the
                    # user's row lock): what the reading lacks is gone.
                    full = len(rows) == REPLAY_PAGE
                    upto = (rows[-1].seq or start) if full else end - 1
                    conn.catch_up([stream_message(row) for row in rows], upto)
        except Exception:
            logger.exception("could not fill a gap in user %s's live stream", conn.user_id)
            conn.shut(SERVICE_RESTART, "missed events: resume with since")


def stream_message(row: StoredNotification) -> Message:
    """A stored notification as the live event its push made (for replays and gaps)."""
    payload = orjson.dumps(
        {"type": "notification", "seq": row.seq, "notification": events.notification_payload(row)}
    )
    return Message(payload, row.id, row.seq)
