"""One live client connection (WebSocket or SSE): a bounded outbox, no task of its own.

A message is written at once when the connection can take it (``write_now``: a synchronous
write of the pre-encoded frame into the socket's transport) and nothing is waiting before it.
Otherwise it waits in the outbox, a small deque, and a drain task, started on demand and ended
when the outbox is empty, sends it with the connection's ``send`` coroutine (which waits for the
socket to become writable). A client whose outbox fills is closed (4408) and resumes with since.

"Fills" is counted twice: in messages (``max_queue``) and in bytes (``max_bytes``), because a
count alone let a socket that does not read hold 60 notifications of 4 MB (+280 MiB). The
bytes are those of the JSON text (the hub knows each event's size from the broker payload, so
the count costs an addition, and only for a message that has to wait: a direct write counts
nothing). Every message held for the socket counts, wherever it waits: the outbox, the replay
buffer, the ones held back for a missing position. Messages are shared between sockets, so
this is what the socket keeps alive, not a copy; one message alone never closes a socket,
however large (it could never be sent otherwise), so the bound is ``max_bytes`` plus one
message. A closed connection drops what it held at once.

New notifications carry their position in the user's live stream (``seq``: 1, 2, 3... per user,
no gaps). A connection sends them in that order: one that arrives early (concurrent creates
publish in the order their commits return) waits for those before it; one already sent (by a
replay) is dropped. If a missing one does not come (its publisher died after the commit), the
hub reads it from the database (``on_gap``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime
from typing import Any

from wakedock.realtime.protocol import TOO_SLOW
from wakedock.realtime.tasks import TaskSet, cancel_and_wait

logger = logging.getLogger(__name__)
_ids = itertools.count(1)
# The close of a connection runs as a task of its own (``shut`` is called from synchronous
# code: a fan-out, an auth event); the connection may be dropped before it ends.
_closing = TaskSet("a connection's close")


def frame_head(size: int) -> bytes:
    """The header of a final, unmasked WebSocket text frame (RFC 6455 §5.2) of ``size``
    payload bytes: what a server sends."""
    if size < 126:
        return bytes((0x81, size))
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big")
    return bytes((0x81, 127)) + size.to_bytes(8, "big")


def text_frame(payload: bytes) -> bytes:
    """``payload`` as one final, unmasked WebSocket text frame."""
    return frame_head(len(payload)) + payload


class Message:
    """One outgoing message, shared by every connection it goes to; its frame is built once.

    Made from the broker's payload (UTF-8 bytes), it keeps them: the frame is those bytes with
    a header, and the text (for a ``send`` that takes one: SSE, or a socket written the slow
    way) is decoded only if asked for."""

    __slots__ = ("_data", "_frame", "_text", "notification_id", "seq", "size")

    def __init__(
        self,
        text: str | bytes,
        notification_id: int | None = None,
        seq: int | None = None,
        size: int | None = None,
    ) -> None:
        if isinstance(text, bytes):
            self._data: bytes | None = text
            self._text: str | None = None
        else:
            self._data, self._text = None, text
        self.notification_id = notification_id
        self.seq = seq  # a new notification's position in the user's live stream
        # The text's length in UTF-8 bytes when known (bytes given, or the caller says), else
        # in characters (the same for the ASCII messages the server makes itself).
        self.size = len(text) if size is None else size
        self._frame: bytes | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._data is not None
            self._text = self._data.decode()
        return self._text

    @property
    def data(self) -> bytes:
        """The message as UTF-8 bytes."""
        return self._data if self._data is not None else self.text.encode()

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.data)
        return self._frame


class Batch:
    """Consecutive messages for one user's connections; their frames joined once, so that a
    socket that can take them gets them all in one write."""

    __slots__ = ("_frame", "first_seq", "last_seq", "messages", "ordered")

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        self._frame: bytes | None = None
        seqs = [message.seq for message in messages if message.seq is not None]
        # Positions one after another: a socket just before the first takes the whole batch.
        self.ordered = all(b == a + 1 for a, b in itertools.pairwise(seqs))
        self.first_seq = seqs[0] if seqs else None
        self.last_seq = seqs[-1] if seqs else None

    def follows(self, seq: int | None) -> bool:
        """Whether a socket that has sent up to ``seq`` can take the whole batch as it is."""
        if not self.ordered:
            return False
        return self.first_seq is None or seq is None or self.first_seq == seq + 1

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            # Headers and payloads joined in one copy (a message's own frame is not needed).
            parts: list[bytes] = []
            for message in self.messages:
                data = message.data
                parts.append(frame_head(len(data)))
                parts.append(data)
            self._frame = b"".join(parts)
        return self._frame


class Connection:
    """State kept per connection is small: ids, a bounded deque, a replay buffer while resuming."""

    __slots__ = (
        "_drain",
        "_outbox",
        "_pending",
        "_space",
        "ahead",
        "api_token_id",
        "behind",
        "buffer",
        "close",
        "closing",
        "expires_at",
        "id",
        "last_seen",
        "max_bytes",
        "max_queue",
        "on_gap",
        "principal_id",
        "replaying",
        "send",
        "seq",
        "session_id",
        "started",
        "user_id",
        "write_now",
    )

    def __init__(
        self,
        *,
        user_id: int,
        send: Callable[[str, int | None], Coroutine[Any, Any, None]],
        close: Callable[[int, str], Coroutine[Any, Any, None]],
        session_id: str | None = None,
        api_token_id: int | None = None,
        expires_at: datetime | None = None,
        max_queue: int = 1000,
        max_bytes: int = 4 * 1024 * 1024,
        write_now: Callable[[Message | Batch], bool] | None = None,
        started: bool = True,
        principal_id: int | None = None,
    ) -> None:
        self.user_id = user_id  # whose stream
        # Who is watching it (an admin may watch another user's stream): revocations and
        # permission changes of this user reach the connection.
        self.principal_id = user_id if principal_id is None else principal_id
        self.send = send
        self.close = close
        self.write_now = write_now
        self.session_id = session_id
        self.api_token_id = api_token_id
        self.expires_at = expires_at
        self.max_queue = max_queue
        self.max_bytes = max_bytes
        self._pending = 0  # bytes of the messages held (outbox, replay buffer, held back)
        self.id = f"c{next(_ids)}"
        self.last_seen = time.monotonic()
        # The last stream position sent (None: not known yet).
        self.seq: int | None = None
        # While a position is missing: the newer notifications by position, and the other
        # events that came after them (sent once the gap is closed).
        self.ahead: dict[int, Message] | None = None
        self.behind: list[Message] | None = None
        self.on_gap: Callable[[Connection], None] | None = None  # the hub's: fill it in
        self.replaying = False
        self.buffer: list[Message] = []
        self.closing = False
        # Until started (the hello is sent), messages wait in the outbox.
        self.started = started
        self._outbox: deque[Message] | None = None  # made when first needed (most never are)
        self._drain: asyncio.Task[None] | None = None
        self._space: asyncio.Future[None] | None = None

    @property
    def outbox(self) -> deque[Message] | tuple[()]:
        """Messages waiting to be written, oldest first."""
        return self._outbox if self._outbox is not None else ()

    @property
    def pending_bytes(self) -> int:
        """Bytes of the messages held for this connection, wherever they wait."""
        return self._pending

    def _over(self, held: int, size: int) -> bool:
        """Whether holding one more message (``size`` bytes) behind ``held`` others is too
        much: beyond ``max_queue`` messages or ``max_bytes`` bytes. One alone never is."""
        return held >= self.max_queue or (held > 0 and self._pending + size > self.max_bytes)

    def offer(self, message: Message | str, notification_id: int | None = None) -> None:
        """Queue a message without waiting; a client that cannot keep up is closed (4408)."""
        if self.closing:
            return
        if isinstance(message, str):
            message = Message(message, notification_id)
        if self.replaying:
            if self._over(len(self.buffer), message.size):
                self.shut(TOO_SLOW, "too slow: resume with since")
            else:
                self._pending += message.size
                self.buffer.append(message)
            return
        seq = message.seq
        if seq is None:
            if self.ahead:
                self._wait(message, None)
            else:
                self._push(message)
            return
        if self.seq is not None:
            if seq <= self.seq:
                return  # sent already (by a replay)
            if seq > self.seq + 1:
                self._wait(message, seq)
                return
        self.seq = seq
        self._push(message)
        if self.ahead:
            self._release()

    def _wait(self, message: Message, seq: int | None) -> None:
        """Hold a message until the positions before it are sent."""
        if self.ahead is None:
            self.ahead, self.behind = {}, []
            if self.on_gap is not None:
                self.on_gap(self)
        assert self.behind is not None
        if self._over(len(self.ahead) + len(self.behind), message.size):
            self.shut(TOO_SLOW, "too slow: resume with since")
            return
        self._pending += message.size
        if seq is None:
            self.behind.append(message)
        else:
            stale = self.ahead.get(seq)
            if stale is not None:
                self._pending -= stale.size
            self.ahead[seq] = message

    def _release(self) -> None:
        """Send the held messages that no missing position comes before any more."""
        ahead = self.ahead
        if ahead is None or self.seq is None:
            return
        for stale in [s for s in ahead if s <= self.seq]:
            self._pending -= ahead.pop(stale).size
        while ahead and self.seq + 1 in ahead:
            self.seq += 1
            message = ahead.pop(self.seq)
            self._pending -= message.size
            self._push(message)
        if not ahead:
            behind = self.behind or ()
            self.ahead = self.behind = None
            for message in behind:
                self._pending -= message.size
                self._push(message)

    def catch_up(self, messages: Iterable[Message], upto: int) -> None:
        """A gap read from the database: send what it holds (in order), then go on from
        ``upto`` (positions up to it that it lacks were deleted or have expired)."""
        for message in messages:
            if message.seq is not None and (self.seq is None or message.seq > self.seq):
                self.seq = message.seq
                self._push(message)
        if self.seq is None or self.seq < upto:
            self.seq = upto
        self._release()

    def offer_all(self, batch: Batch) -> None:
        """``offer`` each message of the batch, in one write when the socket can take it."""
        messages = batch.messages
        if (
            len(messages) > 1
            and self.started
            and not self.closing
            and not self.replaying
            and not self.ahead
            and not self._outbox
            and self._drain is None
            and self.write_now is not None
            and batch.follows(self.seq)
            and self.write_now(batch)
        ):
            if batch.last_seq is not None:
                self.seq = batch.last_seq
            return
        for message in messages:
            self.offer(message)

    def _push(self, message: Message) -> None:
        outbox = self._outbox
        if (
            self.started
            and not outbox
            and self.write_now is not None
            and self._drain is None
            and self.write_now(message)
        ):
            return
        if outbox is None:
            outbox = self._outbox = deque()
        elif self._over(len(outbox), message.size):
            self.shut(TOO_SLOW, "too slow: resume with since")
            return
        self._pending += message.size
        outbox.append(message)
        if self.started and self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._drain_outbox())

    async def put(self, message: Message) -> None:
        """Send a replayed message in order, waiting while the outbox is full (no 4408)."""
        if self.closing:
            return
        while self._over(len(self.outbox), message.size) and not self.closing:
            if self._space is None or self._space.done():
                self._space = asyncio.get_running_loop().create_future()
            await self._space
        if not self.closing:
            self._push(message)

    def start(self) -> None:
        """The hello is sent: write what waited meanwhile, then write directly."""
        self.started = True
        if self.outbox and self._drain is None and not self.closing:
            self._drain = asyncio.get_running_loop().create_task(self._drain_outbox())

    async def _drain_outbox(self) -> None:
        outbox = self._outbox
        try:
            while outbox and not self.closing:
                message = outbox[0]
                if self.write_now is None or not self.write_now(message):
                    await self.send(message.text, message.notification_id)
                if outbox and outbox[0] is message:
                    outbox.popleft()
                    self._pending -= message.size
                if self._space is not None:  # a replay waits for room: it checks again
                    if not self._space.done():
                        self._space.set_result(None)
                    self._space = None
        except Exception as exc:
            # A client that left mid-write is an OSError (one line); anything else, a trace.
            logger.warning(
                "write to user %s's connection %s failed (%r): closing it",
                self.user_id,
                self.id,
                exc,
                exc_info=not isinstance(exc, OSError),
            )
            self.shut(1011, "write failed")
        finally:
            self._drain = None
            if not outbox:
                self._outbox = None  # an idle connection keeps no deque

    def finish_replay(self, position: int | None = None) -> None:
        """Replay done, up to stream ``position``: send what arrived meanwhile and is newer."""
        if position is not None:
            self.seq = position
        self.replaying = False
        self._release()
        pending, self.buffer = self.buffer, []
        for message in pending:
            self._pending -= message.size
        for message in pending:
            self.offer(message)

    def shut(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True  # nothing is sent any more: what was held is dropped now
        if self._outbox is not None:
            self._outbox.clear()
        self.buffer = []
        self.ahead = self.behind = None
        self._pending = 0
        if self._space is not None and not self._space.done():
            self._space.set_result(None)
        _closing.spawn(self.close(code, reason))

    async def stop(self) -> None:
        """The socket is gone: stop the drain task, if any."""
        self.closing = True
        self._outbox = None
        drain = self._drain
        if drain is not None and drain is not asyncio.current_task():
            await cancel_and_wait(drain, f"the drain of user {self.user_id}'s connection")
