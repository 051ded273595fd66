"""The hub: this process's connections per user, fed by one broker subscription.

Events arrive once per process on ``user:*``; each is decoded once and offered to that user's
connections (a non-blocking put into each bounded outbox). Internal control messages (types
starting with ``_``) revoke sessions and refresh cached preferences; they never reach clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit.context import AuditActor
from wakedock.auth.models import ApiToken, AuthSession, User
from wakedock.broker import Broker, BrokerDisconnected, Subscription
from wakedock.clock import Clock
from wakedock.notifications import events, service
from wakedock.notifications.models import Notification
from wakedock.notifications.preferences import service as preferences
from wakedock.realtime.connection import Batch, Connection, Message
from wakedock.realtime.protocol import UNAUTHORIZED

logger = logging.getLogger(__name__)
SERVICE_RESTART = 1012
GOING_AWAY = 1001
REPLAY_PAGE = 500
# How long a socket holds newer notifications back for a missing position's live event before
# reading it from the database (its publisher may have died between commit and publish).
GAP_WAIT_SECONDS = 0.5
# Connections offered an event between two turns of the event loop during a fan-out.
FANOUT_SLICE = 256


class Hub:
    def __init__(
        self,
        *,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        heartbeat_interval: float = 25.0,
        revalidate_interval: float = 30.0,
        max_queue: int = 1000,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.heartbeat_interval = heartbeat_interval
        self.revalidate_interval = revalidate_interval
        self.max_queue = max_queue
        self.connections: dict[int, set[Connection]] = defaultdict(set)
        self._auto_read: dict[int, bool] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()
        self._on_gap = self._gap_found  # one bound method, shared by every connection

    # ------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Subscribe and dispatch until cancelled; on broker loss, ask clients to resume."""
        delay = 0.5
        while True:
            try:
                async with self.broker.subscribe("user:*") as subscription:
                    self.ready.set()
                    delay = 0.5
                    await self._consume(subscription)
            except asyncio.CancelledError:
                raise
            except (BrokerDisconnected, OSError) as exc:
                logger.warning("broker connection lost (%s); clients will resume", exc)
            except Exception:
                logger.exception("hub dispatch loop failed")
            # Live events may have been missed: every client reconnects and resumes with since.
            self.ready.clear()
            self.close_all(SERVICE_RESTART, "broker reconnecting: resume with since")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def housekeeping(self) -> None:
        """Reap silent connections, expired tokens, revoked sessions."""
        last_check = time.monotonic()
        while True:
            await asyncio.sleep(min(self.heartbeat_interval / 2, 5.0))
            now_mono = time.monotonic()
            now = self.clock.now()
            for conn in self.all_connections():
                if now_mono - conn.last_seen > 2 * self.heartbeat_interval:
                    conn.shut(GOING_AWAY, "heartbeat timeout")
                elif conn.expires_at is not None and conn.expires_at <= now:
                    conn.shut(UNAUTHORIZED, "token expired")
            if now_mono - last_check >= self.revalidate_interval:
                last_check = now_mono
                with contextlib.suppress(Exception):
                    await self.revalidate()

    def all_connections(self) -> list[Connection]:
        return [conn for conns in self.connections.values() for conn in conns]

    def close_all(self, code: int, reason: str) -> None:
        for conn in self.all_connections():
            conn.shut(code, reason)

    def register(self, conn: Connection) -> None:
        conn.on_gap = self._on_gap
        self.connections[conn.user_id].add(conn)

    async def open(self, conn: Connection, *, since: int | None) -> service.Standing:
        """Register a new connection and read, in one statement, the user's unread count and
        where the stream stands (for a resume after ``since`` to follow, or, without one, the
        position the socket starts from). Live events wait meanwhile."""
        conn.replaying, conn.buffer = True, []
        self.register(conn)
        position = None
        try:
            async with self.sessionmaker() as session:
                standing = await service.standing(
                    session, user_id=conn.user_id, since=since, now=self.clock.now()
                )
            position = standing.newest
        finally:
            if since is None:
                conn.finish_replay(position)
        return standing

    def unregister(self, conn: Connection) -> None:
        conns = self.connections.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.connections[conn.user_id]
                self._auto_read.pop(conn.user_id, None)

    @property
    def connection_count(self) -> int:
        return sum(len(c) for c in self.connections.values())

    # ------------------------------------------------------------ events

    async def _consume(self, subscription: Subscription) -> None:
        """Receive into an inbox and dispatch what it holds, a batch at a time.

        While a batch goes out (a large fan-out yields to the loop between slices), what
        arrives meanwhile waits in the inbox and goes out as the next batch: a socket then
        gets all of a user's waiting events in one write. Nothing is held back to wait for
        more: a batch is whatever has arrived when the previous one is done."""
        inbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

        async def receive() -> None:
            async for item in subscription:
                inbox.put_nowait(item)

        receiver = asyncio.ensure_future(receive())
        try:
            while True:
                getter = asyncio.ensure_future(inbox.get())
                await asyncio.wait((getter, receiver), return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    receiver.result()  # the broker connection was lost: raises
                    return  # the subscription ended
                batch = [getter.result()]
                while not inbox.empty():
                    batch.append(inbox.get_nowait())
                await self.dispatch(batch)
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver

    async def dispatch(self, batch: list[tuple[str, bytes]]) -> None:
        """Offer each event to its user's connections, in order per user; consecutive events
        of one user go to each socket in one write."""
        per_user: dict[int, list[bytes]] = defaultdict(list)
        for channel, payload in batch:
            try:
                user_id = int(channel.split(":", 1)[1])
            except (IndexError, ValueError):
                continue
            if user_id in self.connections:
                per_user[user_id].append(payload)
        offered = 0
        for user_id, payloads in per_user.items():
            run: list[Message] = []
            for payload in payloads:
                message: dict[str, Any] = orjson.loads(payload)
                kind = message.get("type", "")
                if kind.startswith("_"):
                    offered += await self._offer(user_id, run, offered)
                    run = []
                    self._control(user_id, message)
                    continue
                notification_id = seq = None
                if kind == "notification":
                    notification_id, seq = message["notification"]["id"], message.get("seq")
                # Decoded and framed once per event, whatever the number of sockets.
                run.append(Message(payload.decode(), notification_id, seq))
                if notification_id is not None and self._auto_read.get(user_id, True):
                    # Off the dispatch loop: a database round trip here would hold up every
                    # socket.
                    task = asyncio.get_running_loop().create_task(
                        self._auto_read_one(user_id, notification_id)
                    )
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            offered += await self._offer(user_id, run, offered)

    async def _offer(self, user_id: int, run: list[Message], offered: int) -> int:
        """Offer a run of one user's messages to each of their connections; returns how many
        connections it went to. Between slices of ``FANOUT_SLICE`` connections the loop runs
        other work (requests, the next create's database round trips) instead of waiting for
        the whole fan-out; the next batch waits for this one, so events stay in order."""
        conns = self.connections.get(user_id)
        if not run or not conns:
            return 0
        batch = Batch(run)
        targets = list(conns)
        for count, conn in enumerate(targets, start=offered + 1):
            conn.offer_all(batch)
            if count % FANOUT_SLICE == 0:
                await asyncio.sleep(0)
        return len(targets)

    def _control(self, user_id: int, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "_revoke":
            keep = message.get("except_session_id")
            only = message.get("session_id")
            for conn in list(self.connections.get(user_id, ())):
                if only is not None and conn.session_id != only:
                    continue
                if keep is not None and conn.session_id == keep:
                    continue
                conn.shut(UNAUTHORIZED, message.get("reason", "session revoked"))
        elif kind == "_prefs":
            self._auto_read.pop(user_id, None)

    async def _auto_read_one(self, user_id: int, notification_id: int) -> None:
        try:
            if await self._wants_auto_read(user_id):
                await self._auto_mark(user_id, notification_id)
        except Exception:
            logger.exception("auto_mark_read failed for user %s", user_id)

    async def _wants_auto_read(self, user_id: int) -> bool:
        if user_id not in self._auto_read:
            async with self.sessionmaker() as session:
                prefs = await preferences.get_preferences(session, user_id=user_id)
            self._auto_read[user_id] = prefs.auto_mark_read
        return self._auto_read[user_id]

    async def _auto_mark(self, user_id: int, notification_id: int) -> None:
        async with self.sessionmaker() as session:
            result = await service.mark_read(
                session,
                actor=AuditActor(user_id, None, None, "websocket auto_mark_read"),
                user_id=user_id,
                ids=[notification_id],
                now=self.clock.now(),
            )
        await events.read_state(
            self.broker,
            user_id=user_id,
            ids=result.ids,
            unread_count=result.unread_count,
            read=True,
        )

    # ------------------------------------------------------------ resume

    async def resume(
        self, conn: Connection, since: int, standing: service.Standing | None = None
    ) -> None:
        """Send every notification after ``since`` in the user's live stream, oldest first,
        then go on live: no gap, no duplicate (live events arriving meanwhile are buffered,
        then those the replay sent are dropped by position). ``standing``: read by ``open``
        for this ``since`` while live events were already held back."""
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
                    standing = await service.standing(
                        session, user_id=user_id, since=since, now=now
                    )
                if since < standing.floor:
                    conn.offer('{"type":"reset"}', None)  # goes to the buffer, flushed below
                    position = standing.newest
                    return
                last = standing.after
                # A client already at the newest position (a reload, a brief drop) has every
                # notification given so far: nothing to list.
                while last < standing.newest:
                    rows = await service.list_stream(
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

    # ------------------------------------------------------------ gaps

    def _gap_found(self, conn: Connection) -> None:
        task = asyncio.get_running_loop().create_task(self._fill_gap(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill_gap(self, conn: Connection) -> None:
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
                        rows = await service.list_stream(
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

    async def revalidate(self) -> None:
        """Close sockets whose user was disabled, session revoked or API token deleted."""
        conns = self.all_connections()
        if not conns:
            return
        user_ids = {c.user_id for c in conns}
        session_ids = {c.session_id for c in conns if c.session_id}
        token_ids = {c.api_token_id for c in conns if c.api_token_id}
        async with self.sessionmaker() as session:
            active = set(
                (
                    await session.scalars(
                        select(User.id).where(User.id.in_(user_ids), User.is_active)
                    )
                ).all()
            )
            live_sessions = (
                set(
                    (
                        await session.scalars(
                            select(AuthSession.id).where(
                                AuthSession.id.in_(session_ids), AuthSession.revoked_at.is_(None)
                            )
                        )
                    ).all()
                )
                if session_ids
                else set()
            )
            live_tokens = (
                set(
                    (
                        await session.scalars(select(ApiToken.id).where(ApiToken.id.in_(token_ids)))
                    ).all()
                )
                if token_ids
                else set()
            )
        for conn in conns:
            if (
                conn.user_id not in active
                or (conn.session_id and conn.session_id not in live_sessions)
                or (conn.api_token_id and conn.api_token_id not in live_tokens)
            ):
                conn.shut(UNAUTHORIZED, "credentials no longer valid")


async def publish_revocation(
    broker: Broker | None,
    *,
    user_id: int,
    session_id: str | None = None,
    except_session_id: str | None = None,
    reason: str = "session revoked",
) -> None:
    """Tell every process to close this user's sockets (all, or one session's) at once."""
    if broker is None:
        return
    message = {
        "type": "_revoke",
        "session_id": session_id,
        "except_session_id": except_session_id,
        "reason": reason,
    }
    with contextlib.suppress(Exception):
        await broker.publish(events.user_channel(user_id), orjson.dumps(message))


async def publish_preferences_changed(broker: Broker | None, *, user_id: int) -> None:
    if broker is None:
        return
    with contextlib.suppress(Exception):
        await broker.publish(events.user_channel(user_id), b'{"type":"_prefs"}')


def stream_message(row: Notification) -> Message:
    """A stored notification as the live event its push made (for replays and gaps)."""
    text = orjson.dumps(
        {"type": "notification", "seq": row.seq, "notification": events.notification_payload(row)}
    ).decode()
    return Message(text, row.id, row.seq)
