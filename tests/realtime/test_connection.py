"""Per-connection buffering: slow clients are cut off, resumes de-duplicate."""

from __future__ import annotations

import asyncio
import time

import pytest

from wakedock.realtime.connection import (
    REPLAY_OVERLAP_SECONDS,
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
    assert len(conn.outbox) == 2  # memory stays bounded
    conn.offer("m4", 4)
    assert len(conn.outbox) == 2


async def test_live_events_during_a_replay_are_buffered_then_deduplicated() -> None:
    conn, _, sent = make(max_queue=10)
    conn.replaying = True
    conn.offer("live 5", 5)
    conn.offer("read", None)
    conn.offer("live 7", 7)
    assert len(conn.outbox) == 0
    conn.finish_replay(sent=[4, 5])  # the replay already sent 4 and 5
    await asyncio.sleep(0)
    assert sent == ["read", "live 7"]
    conn.offer("live 4", 4)  # published before the replay read it, arriving late: a duplicate
    assert len(conn.outbox) == 0
    assert sent == ["read", "live 7"]


async def test_live_events_out_of_id_order_all_arrive() -> None:
    """Concurrent creates publish in the order their commits return, and quiet hours release
    held notifications later: an older id after a newer one is new to the socket, not a
    duplicate."""
    conn, _, sent = make(max_queue=10)
    conn.offer("live 80", 80)
    conn.offer("live 79", 79)
    conn.offer("released 12", 12)
    await asyncio.sleep(0)
    assert sent == ["live 80", "live 79", "released 12"]


async def test_replayed_ids_are_forgotten_once_their_live_events_cannot_be_on_their_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn, _, sent = make(max_queue=10)
    conn.replaying = True
    conn.finish_replay(sent=[5])
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + REPLAY_OVERLAP_SECONDS + 1)
    conn.offer("live 5", 5)  # no live event of a replayed row is still on its way by now
    await asyncio.sleep(0)
    assert sent == ["live 5"]
    assert conn.replayed is None


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
    batch = Batch([Message("a", 1), Message("b", 2), Message("c", None)])
    conn.offer_all(batch)
    assert writes == [text_frame(b"a") + text_frame(b"b") + text_frame(b"c")]


async def test_a_batch_falls_back_to_one_message_at_a_time_when_it_must() -> None:
    """While replaying (buffered), while replayed ids may still arrive live (de-duplicated one
    by one), or behind a waiting outbox, a batch's messages go the ordinary way."""
    conn, writes, _, _ = direct_socket()
    conn.replaying = True
    conn.offer_all(Batch([Message("live 5", 5), Message("live 6", 6)]))
    assert writes == []
    assert [m.text for m in conn.buffer] == ["live 5", "live 6"]
    conn.finish_replay(sent=[5])  # the replay sent 5: only 6 is written
    assert writes == [text_frame(b"live 6")]
    conn.offer_all(Batch([Message("live 5", 5), Message("live 7", 7)]))
    assert writes == [text_frame(b"live 6"), text_frame(b"live 7")]

    slow, slow_writes, sent, _ = direct_socket(writable=False)
    slow.offer_all(Batch([Message("x", 1), Message("y", 2)]))
    assert slow_writes == []
    await asyncio.sleep(0)
    assert sent == ["x", "y"]
