"""Out-of-range and odd ``since`` values and ids (issue 17, finding 10).

Before: ``?since=99999999999999999999``, ``{"type": "resume", "since": 99999999999999999999}``
and ``{"type": "mark_read", "ids": [9223372036854775808]}`` reached the database, whose 64-bit
columns refused them, and the socket dropped without a close frame; the SSE stream answered
200 and then broke. Now the socket answers the documented ``error`` (``bad_since`` for a
``since``, ``bad_message`` for ids) and stays open; the SSE stream answers 422 in the error
shape before it starts.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import assert_error
from tests.realtime.conftest import Server, Socket, connect, new_user
from tests.realtime.test_revocation import InProcessSocket

INT64_MAX = 2**63 - 1
BAD_SINCE_QUERY = [
    "99999999999999999999",
    str(INT64_MAX + 1),
    "-1",
    "1.5",
    "1e20",
    "abc",
    "true",
    "null",
    "",
    "%C2%B2",  # a superscript two: a digit to str.isdigit, not to int()
    "+5",
    "1_000",
]
BAD_SINCE_JSON = [
    "99999999999999999999",
    str(INT64_MAX + 1),
    "1e20",
    "-1",
    "1.5",
    "5.0",
    '"5"',
    "null",
    "true",
    "false",
    "[]",
]
BAD_IDS_JSON = [
    "[9223372036854775808]",
    "[99999999999999999999]",
    "[1e20]",
    "[0]",
    "[-1]",
    "[1.5]",
    '["5"]',
    "[null]",
    "[true]",
    "[[1]]",
]


async def test_a_bad_since_in_the_url_is_answered_and_the_socket_stays_open(
    app: object, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    token = admin_headers["Authorization"].split()[1]
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()["id"]
    for since in BAD_SINCE_QUERY:
        sock = InProcessSocket(app, me, token, f"&since={since}")
        try:
            await sock.open()
            error = await sock.next("error")
            assert error["code"] == "bad_since", (since, error)
            assert str(INT64_MAX) in error["message"]
            await sock.alive()
        finally:
            await sock.end()
    # The largest id is a valid since (nothing after it): live events follow.
    sock = InProcessSocket(app, me, token, f"&since={INT64_MAX}")
    try:
        await sock.open()
        created = await client.post(
            "/api/notifications", json={"title": "x"}, headers=admin_headers
        )
        event = await sock.next()
        assert event["type"] == "notification"
        assert event["notification"]["id"] == created.json()["id"]
    finally:
        await sock.end()


async def test_bad_resume_and_mark_read_messages_are_answered_and_the_socket_stays_open(
    app: object, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    token = admin_headers["Authorization"].split()[1]
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()["id"]
    first = await client.post("/api/notifications", json={"title": "a"}, headers=admin_headers)
    sock = InProcessSocket(app, me, token)
    try:
        await sock.open()
        send = sock.incoming.put
        for since in BAD_SINCE_JSON:
            text = f'{{"type": "resume", "since": {since}}}'
            await send({"type": "websocket.receive", "text": text})
            error = await sock.next()
            assert error["type"] == "error", (since, error)
            assert error["code"] == "bad_since", (since, error)
        await send({"type": "websocket.receive", "text": '{"type": "resume"}'})
        assert (await sock.next())["code"] == "bad_since"
        for ids in BAD_IDS_JSON:
            text = f'{{"type": "mark_read", "ids": {ids}}}'
            await send({"type": "websocket.receive", "text": text})
            error = await sock.next()
            assert error["type"] == "error", (ids, error)
            assert error["code"] == "bad_message", (ids, error)
        await sock.alive()
        # Nothing was marked read; the largest ids are fine (none of them exist).
        text = json.dumps({"type": "mark_read", "ids": [INT64_MAX, first.json()["id"]]})
        await send({"type": "websocket.receive", "text": text})
        assert (await sock.next("read"))["ids"] == [first.json()["id"]]
        await send(
            {"type": "websocket.receive", "text": f'{{"type":"resume","since":{INT64_MAX}}}'}
        )
        await sock.alive()
    finally:
        await sock.end()


SSE_CASES = [
    ("since=99999999999999999999", {}, "since"),
    (f"since={INT64_MAX + 1}", {}, "since"),
    ("since=-1", {}, "since"),
    ("since=1.5", {}, "since"),
    ("since=true", {}, "since"),
    ("since=null", {}, "since"),
    ("", {"Last-Event-ID": "99999999999999999999"}, "Last-Event-ID"),
    ("", {"Last-Event-ID": str(INT64_MAX + 1)}, "Last-Event-ID"),
    ("", {"Last-Event-ID": "-1"}, "Last-Event-ID"),
    ("", {"Last-Event-ID": "1.5"}, "Last-Event-ID"),
    ("", {"Last-Event-ID": "1e20"}, "Last-Event-ID"),
    ("", {"Last-Event-ID": "abc"}, "Last-Event-ID"),
    ("", {"Last-Event-ID": "true"}, "Last-Event-ID"),
    ("", {"Last-Event-ID": "null"}, "Last-Event-ID"),
    ("since=5", {"Last-Event-ID": "99999999999999999999"}, "Last-Event-ID"),
]


async def test_sse_refuses_a_bad_since_or_last_event_id_before_streaming(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for query, headers, where in SSE_CASES:
        response = await client.get(
            f"/api/notifications/stream?{query}", headers={**admin_headers, **headers}
        )
        error = assert_error(response, 422)
        assert where in json.dumps(error["details"]) or where in error["message"], error


@pytest.mark.slow  # starts `wakedock serve`
async def test_a_huge_since_on_a_real_socket_gets_an_error_not_a_dropped_connection(
    server: Server,
) -> None:
    """Against ``wakedock serve``: the connection used to end without a close frame."""
    user = new_user(server.http)
    sock: Socket = await connect(server.ws, user, query="&since=99999999999999999999")
    try:
        await sock.next("hello")
        assert (await sock.next("error"))["code"] == "bad_since"
        await sock.send({"type": "resume", "since": 99999999999999999999})
        assert (await sock.next("error"))["code"] == "bad_since"
        await sock.send({"type": "mark_read", "ids": [9223372036854775808]})
        assert (await sock.next("error"))["code"] == "bad_message"
        await sock.send({"type": "ping"})
        assert await sock.next() == {"type": "pong"}
        created = user.notify("still live")
        assert (await sock.next("notification"))["notification"]["id"] == created["id"]
    finally:
        await sock.ws.close()
    huge = httpx.get(
        f"{server.http}/api/notifications/stream",
        headers={**user.headers, "Last-Event-ID": "99999999999999999999"},
    )
    assert_error(huge, 422)
