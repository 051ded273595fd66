"""Per-connection buffering: slow clients are cut off, resumes de-duplicate, new notifications go
out in the order of their stream positions."""

from __future__ import annotations

import asyncio

from wakedock.realtime.connection import (
    Batch,
    Connection,
    Message,
    text_frame,
)
from wakedock.realtime.protocol import TOO_SLOW


def make(max_queue: int = 2) -> tuple[Connection, list[tuple[int, str]], list[str]]:
    closed: list[tuple[int, str]] = []
    sent: list[str] = []

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    return Connection(user_id=1, send=send, close=close, max_queue=max_queue), closed, sent


async def test_a_client_that_cannot_keep_up_is_closed_with_4408() -> None:
    conn, closed, _ = make(max_queue=2)
    for i in range(1, 4):
        conn.offer(f"m{i}", i)
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]
    assert len(conn.outbox) == 0  # what it held is dropped with the close
    conn.offer("m4", 4)
    assert len(conn.outbox) == 0


def live(seq: int) -> Message:
    """A new notification's live event at stream position ``seq`` (its id: seq + 100)."""
    return Message(f"live {seq}", seq + 100, seq)


async def test_live_events_during_a_replay_are_buffered_then_deduplicated() -> None:
    conn, _, sent = make(max_queue=10)
    conn.replaying = True
    conn.offer(live(5))
    conn.offer("read", None)
    conn.offer(live(6))
    assert len(conn.outbox) == 0
    conn.finish_replay(5)  # the replay sent everything up to position 5
    await asyncio.sleep(0)
    assert sent == ["read", "live 6"]
    conn.offer(live(4))  # published before the replay read it, arriving late: a duplicate
    conn.offer(live(6))
    assert len(conn.outbox) == 0
    assert sent == ["read", "live 6"]


async def test_live_events_out_of_stream_order_go_out_in_order() -> None:
    """Concurrent creates publish in the order their commits return: a socket holds a newer
    notification back until the one before it has come, and events that are not new
    notifications wait behind them."""
    conn, _, sent = make(max_queue=10)
    gaps: list[Connection] = []
    conn.on_gap = gaps.append
    conn.finish_replay(10)
    conn.offer(live(12))
    conn.offer("read", None)
    conn.offer(live(13))
    await asyncio.sleep(0)
    assert sent == []
    assert gaps == [conn]  # the hub is asked once to look for the missing position
    conn.offer(live(11))
    await asyncio.sleep(0)
    assert sent == ["live 11", "live 12", "live 13", "read"]
    assert conn.seq == 13
    assert conn.ahead is None
    conn.offer(live(15))
    assert gaps == [conn, conn]


async def test_a_gap_read_from_the_database_is_sent_in_order() -> None:
    conn, _, sent = make(max_queue=10)
    conn.finish_replay(10)
    conn.offer(live(14))
    conn.offer(live(12))
    # The hub read positions 11..13: 11 is there, 13 too, 12 came live meanwhile (the
    # database's copy is not sent again); nothing is missing below 14 any more.
    conn.catch_up([live(11), live(12), live(13)], upto=13)
    await asyncio.sleep(0)
    assert sent == ["live 11", "live 12", "live 13", "live 14"]
    # A position the database no longer has (deleted, expired) is skipped.
    conn.offer(live(17))
    conn.catch_up([live(15)], upto=16)
    await asyncio.sleep(0)
    assert sent[-2:] == ["live 15", "live 17"]
    assert conn.seq == 17


async def test_a_socket_that_holds_too_much_behind_a_gap_is_closed_with_4408() -> None:
    conn, closed, _ = make(max_queue=2)
    conn.finish_replay(0)
    conn.offer(live(2))
    conn.offer(live(3))
    conn.offer(live(4))
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]
    assert conn.ahead is None  # what it held is dropped with the close
    assert conn.pending_bytes == 0


async def test_direct_writes_keep_order_behind_a_waiting_outbox() -> None:
    """Written at once while the socket takes it; once a message waits, later ones queue behind
    it (no overtaking), and a full outbox still closes the client with 4408."""
    closed: list[tuple[int, str]] = []
    sent: list[str] = []
    direct: list[str] = []
    writable = True

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    def write_now(message: Message) -> bool:
        if writable:
            direct.append(message.text)
        return writable

    conn = Connection(user_id=1, send=send, close=close, max_queue=2, write_now=write_now)
    conn.offer("m1", 1)
    assert direct == ["m1"]
    assert len(conn.outbox) == 0
    writable = False
    conn.offer("m2", 2)
    writable = True
    conn.offer("m3", 3)  # must not overtake m2
    assert direct == ["m1"]
    assert [m.text for m in conn.outbox] == ["m2", "m3"]
    conn.offer("m4", 4)
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]


async def test_messages_wait_until_started() -> None:
    sent: list[str] = []

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        pass

    conn = Connection(user_id=1, send=send, close=close, started=False)
    conn.offer("early", 1)
    await asyncio.sleep(0)
    assert sent == []
    conn.start()
    await asyncio.sleep(0)
    assert sent == ["early"]


def test_text_frame_matches_the_rfc() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame(b"x" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")


def direct_socket(
    *, writable: bool = True
) -> tuple[Connection, list[bytes], list[str], list[tuple[int, str]]]:
    """A connection whose direct writes land in ``writes`` (one entry per write call)."""
    writes: list[bytes] = []
    sent: list[str] = []
    closed: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    def write_now(message: Message | Batch) -> bool:
        if writable:
            writes.append(message.frame)
        return writable

    conn = Connection(user_id=1, send=send, close=close, max_queue=10, write_now=write_now)
    return conn, writes, sent, closed


async def test_a_batch_goes_out_in_one_write() -> None:
    conn, writes, _, _ = direct_socket()
    batch = Batch([live(1), live(2), Message("c", None)])
    conn.offer_all(batch)
    assert writes == [text_frame(b"live 1") + text_frame(b"live 2") + text_frame(b"c")]
    assert conn.seq == 2


async def test_a_batch_falls_back_to_one_message_at_a_time_when_it_must() -> None:
    """While replaying (buffered), when it does not follow the socket's position (duplicates
    dropped, a gap held), or behind a waiting outbox, a batch's messages go the ordinary way."""
    conn, writes, _, _ = direct_socket()
    conn.replaying = True
    conn.offer_all(Batch([live(5), live(6)]))
    assert writes == []
    assert [m.text for m in conn.buffer] == ["live 5", "live 6"]
    conn.finish_replay(5)  # the replay sent up to 5: only 6 is written
    assert writes == [text_frame(b"live 6")]
    conn.offer_all(Batch([live(6), live(7)]))
    assert writes == [text_frame(b"live 6"), text_frame(b"live 7")]
    conn.offer_all(Batch([live(9), live(10)]))  # 8 is missing: held back
    assert writes == [text_frame(b"live 6"), text_frame(b"live 7")]
    conn.offer_all(Batch([live(8)]))
    assert writes[2:] == [text_frame(b"live 8"), text_frame(b"live 9"), text_frame(b"live 10")]

    slow, slow_writes, sent, _ = direct_socket(writable=False)
    slow.offer_all(Batch([Message("x", 1), Message("y", 2)]))
    assert slow_writes == []
    await asyncio.sleep(0)
    assert sent == ["x", "y"]


def sized(text: str, seq: int | None = None) -> Message:
    return Message(text, seq + 100 if seq is not None else None, seq)


async def test_the_outbox_is_bounded_in_bytes_not_only_in_messages() -> None:
    """Finding 8: a socket that did not read held 60 notifications of 4 MB (+280 MiB) because
    only the number of messages was bounded. Bytes are bounded too; one message alone never
    closes a socket, however large (it could not be sent at all otherwise)."""
    closed: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        await asyncio.Event().wait()  # a socket that never becomes writable

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    conn = Connection(user_id=1, send=send, close=close, max_queue=1000, max_bytes=100)
    conn.offer(sized("x" * 250, 1))  # alone, larger than the bound: waits, no 4408
    await asyncio.sleep(0)
    assert (closed, conn.pending_bytes, len(conn.outbox)) == ([], 250, 1)
    conn.offer(sized("y" * 10, 2))  # behind it: over the bound
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]
    assert (conn.pending_bytes, len(conn.outbox)) == (0, 0)  # dropped at once
    await conn.stop()

    conn = Connection(user_id=1, send=send, close=close, max_queue=1000, max_bytes=100)
    closed.clear()
    for seq in range(1, 4):
        conn.offer(sized("z" * 30, seq))  # 30, 60, 90 bytes: within the bound
    await asyncio.sleep(0)
    assert (closed, conn.pending_bytes) == ([], 90)
    conn.offer(sized("z" * 11, 4))  # 101
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]
    await conn.stop()


async def test_bytes_held_anywhere_count_and_are_released_when_sent() -> None:
    """The replay buffer and the notifications held back for a missing position count
    towards the bound like the outbox; what is sent no longer counts."""
    conn, closed, sent = make(max_queue=1000)
    conn.max_bytes = 100
    conn.replaying = True
    conn.offer(sized("a" * 40, 1))
    conn.offer(sized("b" * 40, 2))
    assert conn.pending_bytes == 80
    conn.finish_replay(0)  # into the outbox, then sent
    assert conn.pending_bytes == 80
    await asyncio.sleep(0)
    assert sent == ["a" * 40, "b" * 40]
    assert conn.pending_bytes == 0
    conn.offer(sized("d" * 60, 4))  # 3 is missing: held back
    assert conn.pending_bytes == 60
    conn.offer(sized("c" * 30, 3))
    await asyncio.sleep(0)
    assert sent[2:] == ["c" * 30, "d" * 60]
    assert conn.pending_bytes == 0
    conn.offer(sized("f" * 60, 6))
    conn.offer(sized("g" * 60, 7))  # 120 held behind missing 5
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]
    assert conn.pending_bytes == 0


async def test_a_replay_waits_for_room_in_bytes() -> None:
    """A replay never closes the socket: it waits until the outbox has room (in bytes too)."""
    gate = asyncio.Event()
    sent: list[str] = []

    async def send(text: str, _: int | None) -> None:
        await gate.wait()
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        raise AssertionError(f"closed {code}")

    conn = Connection(user_id=1, send=send, close=close, max_queue=1000, max_bytes=100)

    async def replay() -> None:
        for seq in range(1, 6):
            await conn.put(sized(str(seq) * 60, seq))

    task = asyncio.create_task(replay())
    await asyncio.sleep(0.01)
    assert conn.pending_bytes <= 100 + 60
    assert not task.done()
    gate.set()
    await asyncio.wait_for(task, 5)
    for _ in range(5):
        await asyncio.sleep(0)
    assert sent == [str(seq) * 60 for seq in range(1, 6)]
    assert conn.pending_bytes == 0
