"""The hub: this process's connections per user, fed by one broker subscription.

Events arrive once per process on ``user:*``, and a broadcast's page of copies as one message
on ``copies`` (spliced into events only for the users this process holds: ``events.copies``);
each event is framed once and offered to that user's connections (a non-blocking put into each
bounded outbox). Internal control messages (types
starting with ``_``) refresh cached preferences (``realtime/autoread.py``); they never reach
clients. What a connection missed is read from the database by ``realtime/replay.py``; what a
client sends is handled by ``realtime/control.py``. The hub keeps the registry, the fan-out,
the credentials' watch below, and a reference to every task it starts (``realtime/tasks.py``).

The same subscription carries auth's events (channel ``auth``, ``wakedock.auth.events``): a
session ended, an API token deleted, a user disabled or deleted closes the sockets that used
them at once (4401); a role change reads the watcher's permissions again and closes a socket
it may no longer watch (4403). Sockets are found by the user watching (``principal_id``),
which differs from the stream's user only for an admin watching someone else: those are
indexed apart (``watchers``), so a socket on its own stream costs no second index. A socket
authorized just before an event but registered just after it is checked again when it
registers (``open(checked_at=...)``). Every ``revalidate_interval`` all sockets are checked
against the database anyway, for an event the broker lost.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.auth import access
from wakedock.auth import events as auth_events
from wakedock.auth.permissions import Permission
from wakedock.broker import Broker, BrokerDisconnected, Subscription
from wakedock.clock import Clock
from wakedock.notifications import events, stream
from wakedock.realtime.auth import watch_refusal
from wakedock.realtime.autoread import AutoRead
from wakedock.realtime.connection import Batch, Connection, Message
from wakedock.realtime.protocol import FORBIDDEN, UNAUTHORIZED
from wakedock.realtime.replay import SERVICE_RESTART, Replay
from wakedock.realtime.tasks import TaskSet, cancel_and_wait

logger = logging.getLogger(__name__)
GOING_AWAY = 1001
# Connections offered an event between two turns of the event loop during a fan-out.
FANOUT_SLICE = 256
# How long an auth event is remembered for sockets that were being authorized meanwhile.
AUTH_EVENT_MEMORY_SECONDS = 60.0
RESTART_REASON = "server restarting: resume with since"
# How a ``created`` event begins (``events.created``, ``events.copy_event``): its position and
# id read without decoding the whole event, which was most of the hub's work per event.
_NOTIFICATION_HEAD = re.compile(
    rb'\{"type":"notification","seq":(\d+|null),"notification":\{"id":(\d+)[,}]'
)


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
        max_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.heartbeat_interval = heartbeat_interval
        self.revalidate_interval = revalidate_interval
        self.max_queue = max_queue
        self.max_bytes = max_bytes
        self.connections: dict[int, set[Connection]] = defaultdict(set)
        # Connections of an admin watching another user's stream, by the admin's id.
        self.watchers: dict[int, set[Connection]] = defaultdict(set)
        # user id -> when (monotonic) an auth event about them last arrived.
        self._auth_changed: dict[int, float] = {}
        self._tasks = TaskSet("the hub's")
        self.replay = Replay(sessionmaker=sessionmaker, clock=clock)
        self.auto_read = AutoRead(
            broker=broker, sessionmaker=sessionmaker, clock=clock, tasks=self._tasks
        )
        self.ready = asyncio.Event()
        self.draining = False  # the server is stopping: new connections are told to resume
        self._on_gap = self._gap_found  # one bound method, shared by every connection

    # ------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Subscribe and dispatch until cancelled; on broker loss, ask clients to resume."""
        delay = 0.5
        while True:
            try:
                async with self.broker.subscribe(
                    "user:*", events.COPIES_CHANNEL, auth_events.CHANNEL
                ) as subscription:
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
            forget = now_mono - AUTH_EVENT_MEMORY_SECONDS
            for user_id in [u for u, at in self._auth_changed.items() if at < forget]:
                del self._auth_changed[user_id]
            for conn in self.all_connections():
                if now_mono - conn.last_seen > 2 * self.heartbeat_interval:
                    conn.shut(GOING_AWAY, "heartbeat timeout")
                elif conn.expires_at is not None and conn.expires_at <= now:
                    conn.shut(UNAUTHORIZED, "token expired")
            if now_mono - last_check >= self.revalidate_interval:
                last_check = now_mono
                try:
                    await self.revalidate()
                except Exception:
                    # The next turn tries again; meanwhile only auth events close sockets.
                    logger.exception(
                        "could not check the sockets' credentials against the database"
                    )

    def all_connections(self) -> list[Connection]:
        return [conn for conns in self.connections.values() for conn in conns]

    def close_all(self, code: int, reason: str) -> None:
        for conn in self.all_connections():
            conn.shut(code, reason)

    def drain(self) -> None:
        """The server is stopping: close every socket and SSE stream with 1012 now, so clients
        resume (with ``since``) on the next server at once; any opened from now on too."""
        self.draining = True
        self.close_all(SERVICE_RESTART, RESTART_REASON)

    def register(self, conn: Connection) -> None:
        conn.on_gap = self._on_gap
        self.connections[conn.user_id].add(conn)
        if conn.principal_id != conn.user_id:
            self.watchers[conn.principal_id].add(conn)

    async def open(
        self, conn: Connection, *, since: int | None, checked_at: float | None = None
    ) -> stream.Standing:
        """Register a new connection and read, in one statement, the user's unread count and
        where the stream stands (for a resume after ``since`` to follow, or, without one, the
        position the socket starts from). Live events wait meanwhile. ``checked_at``: when
        (monotonic) its credentials were checked; an auth event about its user since then
        has it checked again."""
        conn.replaying, conn.buffer = True, []
        self.register(conn)
        if checked_at is not None and self._auth_changed:
            changed = max(
                self._auth_changed.get(conn.principal_id, 0.0),
                self._auth_changed.get(conn.user_id, 0.0),
            )
            if changed >= checked_at:
                self._tasks.spawn(self._recheck([conn]))
        position = None
        try:
            async with self.sessionmaker() as session:
                standing = await stream.standing(
                    session, user_id=conn.user_id, since=since, now=self.clock.now()
                )
            position = standing.newest
        finally:
            if since is None:
                conn.finish_replay(position)
        if self.draining:  # opened while the server stops: the hello, then 1012
            conn.shut(SERVICE_RESTART, RESTART_REASON)
        return standing

    def unregister(self, conn: Connection) -> None:
        conns = self.connections.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.connections[conn.user_id]
                self.auto_read.forget(conn.user_id)
        if conn.principal_id != conn.user_id:
            watching = self.watchers.get(conn.principal_id)
            if watching is not None:
                watching.discard(conn)
                if not watching:
                    del self.watchers[conn.principal_id]

    def hello(self, conn: Connection, standing: stream.Standing) -> str:
        """The first message of every socket and stream, once ``open`` has read where the
        user stands (docs/websocket.md)."""
        return orjson.dumps(
            {
                "type": "hello",
                "user_id": conn.user_id,
                "connection_id": conn.id,
                "unread_count": standing.unread,
                "server_time": self.clock.now().isoformat(),
                "heartbeat_interval": self.heartbeat_interval,
            }
        ).decode()

    async def resume(
        self, conn: Connection, since: int, standing: stream.Standing | None = None
    ) -> None:
        """Send what ``conn`` missed after ``since``, then go on live (``Replay.resume``)."""
        await self.replay.resume(conn, since, standing)

    def _gap_found(self, conn: Connection) -> None:
        self._tasks.spawn(self.replay.fill_gap(conn))

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
            await cancel_and_wait(receiver, "the hub's broker receiver")

    async def dispatch(self, batch: list[tuple[str, bytes]]) -> None:
        """Offer each event to its user's connections, in order per user; consecutive events
        of one user go to each socket in one write. An auth event acts in its place: what
        came before it goes out first, and a socket it closes gets nothing after it. A page of
        a broadcast's copies (``events.copies``) is spliced into events here, only for the
        users with a connection in this process."""
        per_user: dict[int, list[bytes | Message]] = defaultdict(list)
        connections = self.connections
        for channel, payload in batch:
            if channel.startswith("user:"):
                try:
                    user_id = int(channel[5:])
                except ValueError:
                    continue
                if user_id in connections:
                    per_user[user_id].append(payload)
            elif channel == events.COPIES_CHANNEL:
                for user_id, notification_id, seq, event in events.read_copies(
                    payload, connections
                ):
                    per_user[user_id].append(Message(event, notification_id, seq))
            elif channel == auth_events.CHANNEL:
                if per_user:
                    await self._dispatch_users(per_user)
                    per_user = defaultdict(list)
                self.auth_event(payload)
        await self._dispatch_users(per_user)

    async def _dispatch_users(self, per_user: dict[int, list[bytes | Message]]) -> None:
        offered = 0
        for user_id, items in per_user.items():
            run: list[Message] = []
            pushed: list[int] = []
            for item in items:
                event = item if isinstance(item, Message) else _event(item)
                if isinstance(event, dict):  # internal: after what came before it
                    offered += await self._offer(user_id, run, offered)
                    if pushed:
                        self.auto_read.pushed(user_id, pushed)
                    run, pushed = [], []
                    self.auto_read.control(user_id, event)
                    continue
                run.append(event)
                if event.notification_id is not None:
                    pushed.append(event.notification_id)
            offered += await self._offer(user_id, run, offered)
            if pushed:
                self.auto_read.pushed(user_id, pushed)

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

    # ------------------------------------------------------------ credentials

    def watched_by(self, user_id: int) -> list[Connection]:
        """Open connections whose credentials are ``user_id``'s (on any stream)."""
        own = [c for c in self.connections.get(user_id, ()) if c.principal_id == user_id]
        return own + list(self.watchers.get(user_id, ()))

    def auth_event(self, payload: bytes) -> None:
        """Act on an auth event: close what it revokes, check again what it narrows."""
        event = auth_events.decode(payload)
        if event is None:
            return
        user_id = event.user_id
        self._auth_changed[user_id] = time.monotonic()
        if isinstance(event, auth_events.SessionsRevoked):
            for conn in self.watched_by(user_id):
                if conn.session_id is None or conn.session_id == event.except_session_id:
                    continue
                if event.session_id is None or conn.session_id == event.session_id:
                    conn.shut(UNAUTHORIZED, event.reason)
        elif isinstance(event, auth_events.ApiTokenRevoked):
            for conn in self.watched_by(user_id):
                if conn.api_token_id == event.api_token_id:
                    conn.shut(UNAUTHORIZED, "API token revoked")
        elif isinstance(event, auth_events.UserDisabled | auth_events.UserDeleted):
            disabled = isinstance(event, auth_events.UserDisabled)
            reason = "user disabled" if disabled else "user deleted"
            # Their own sockets, and any watching their stream (as the periodic check does).
            for conn in {*self.watched_by(user_id), *self.connections.get(user_id, ())}:
                conn.shut(UNAUTHORIZED, reason)
        elif isinstance(event, auth_events.RolesChanged):
            conns = self.watched_by(user_id)
            if conns:
                self._tasks.spawn(self._recheck(conns))

    async def _recheck(self, conns: list[Connection]) -> None:
        """Read again what each connection's credentials allow; close those that no longer
        hold (4401) or no longer allow watching that stream (4403)."""
        try:
            now = self.clock.now()
            seen: dict[tuple[int, str | None, int | None], frozenset[Permission] | None] = {}
            async with self.sessionmaker() as session:
                for conn in conns:
                    key = (conn.principal_id, conn.session_id, conn.api_token_id)
                    if key not in seen:
                        seen[key] = await access.permissions(
                            session,
                            user_id=conn.principal_id,
                            session_id=conn.session_id,
                            api_token_id=conn.api_token_id,
                            now=now,
                        )
            for conn in conns:
                granted = seen[(conn.principal_id, conn.session_id, conn.api_token_id)]
                if granted is None:
                    conn.shut(UNAUTHORIZED, "credentials no longer valid")
                    continue
                refusal = watch_refusal(granted, conn.principal_id, conn.user_id)
                if refusal is not None:
                    conn.shut(FORBIDDEN, refusal)
        except Exception:
            logger.exception("could not check sockets' permissions again")

    async def revalidate(self) -> None:
        """Close sockets whose user (watching or watched) was disabled, session revoked or
        API token deleted or expired: the backstop for an auth event the broker lost."""
        conns = self.all_connections()
        if not conns:
            return
        async with self.sessionmaker() as session:
            found = await access.alive(
                session,
                user_ids={c.user_id for c in conns} | {c.principal_id for c in conns},
                session_ids={c.session_id for c in conns if c.session_id},
                api_token_ids={c.api_token_id for c in conns if c.api_token_id},
                now=self.clock.now(),
            )
        for conn in conns:
            if (
                conn.user_id not in found.users
                or conn.principal_id not in found.users
                or (conn.session_id and conn.session_id not in found.sessions)
                or (conn.api_token_id and conn.api_token_id not in found.api_tokens)
            ):
                conn.shut(UNAUTHORIZED, "credentials no longer valid")


def _event(payload: bytes) -> Message | dict[str, Any]:
    """One of a user's events as the message their sockets get (framed once, whatever their
    number), or an internal control message's content (a type starting with ``_``)."""
    head = _NOTIFICATION_HEAD.match(payload)
    if head is not None:  # a new notification: its position and id, without decoding it all
        seq = None if head[1] == b"null" else int(head[1])
        return Message(payload, int(head[2]), seq)
    message: dict[str, Any] = orjson.loads(payload)
    kind = message.get("type", "")
    if kind.startswith("_"):
        return message
    if kind == "notification":
        return Message(payload, message["notification"]["id"], message.get("seq"))
    return Message(payload)
