"""The Server-Sent Events fallback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import until
from tests.realtime.conftest import Server, new_user

pytestmark = pytest.mark.slow  # starts `wakedock serve` processes


Event = tuple[str | None, str, dict]


async def read_events(
    response: httpx.Response, count: int, into: list[Event] | None = None
) -> list[Event]:
    """The stream's first ``count`` events (or all until it ends), added to ``into`` as read."""
    events: list[Event] = [] if into is None else into
    event_id, kind, data = None, "message", ""
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            events.append((event_id, kind, json.loads(data)))
            event_id, kind, data = None, "message", ""
            if len(events) >= count:
                return events
    return events


async def test_sse_stream_and_last_event_id_resume(server: Server) -> None:
    user = new_user(server.http)
    first = user.notify("one")
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"{server.http}/api/notifications/stream")).status_code == 401
        async with client.stream(
            "GET", f"{server.http}/api/notifications/stream", headers=user.headers
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            seen: list[Event] = []
            reader = asyncio.create_task(read_events(response, 2, seen))
            await until(lambda: seen, what="the hello")  # the stream is registered
            second = await asyncio.to_thread(user.notify, "two")
            events = await asyncio.wait_for(reader, 10)
        assert events[0][1] == "hello"
        assert events[1] == (
            str(second["id"]),
            "notification",
            {"type": "notification", "seq": 2, "notification": second},
        )
        third = user.notify("three")
        async with client.stream(
            "GET",
            f"{server.http}/api/notifications/stream?token={user.token}",
            headers={"Last-Event-ID": str(first["id"])},
        ) as response:
            events = await asyncio.wait_for(read_events(response, 3), 10)
        assert [e[0] for e in events[1:]] == [str(second["id"]), str(third["id"])]


async def test_sse_stream_ends_at_once_when_its_credentials_are_revoked(server: Server) -> None:
    """A deleted API token or a logout ends the stream within a broker round trip (before,
    at the next periodic check, up to 30 s later), with the WebSocket's close code as the
    last event."""
    user = new_user(server.http)
    made = user.post("/api/auth/api-tokens", {"name": "sse"})
    assert made.status_code == 201, made.text
    token_id, token = made.json()["id"], made.json()["token"]

    async def stream_until_closed(token: str, revoke: Callable[[], int]) -> list[Any]:
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream(
                "GET",
                f"{server.http}/api/notifications/stream",
                headers={"Authorization": f"Bearer {token}"},
            ) as response,
        ):
            seen: list[Event] = []
            reader = asyncio.create_task(read_events(response, 10, seen))  # returns at the end
            await until(lambda: seen, what="the hello")
            assert await asyncio.to_thread(revoke) == 204
            events = await asyncio.wait_for(reader, 5)
        assert events[0][1] == "hello"
        return events[1:]

    def delete_token() -> int:
        return httpx.delete(
            f"{server.http}/api/auth/api-tokens/{token_id}", headers=user.headers
        ).status_code

    ended = await stream_until_closed(token, delete_token)
    assert ended == [
        (None, "close", {"type": "close", "code": 4401, "reason": "API token revoked"})
    ]

    def logout() -> int:
        return user.post("/api/auth/logout").status_code

    ended = await stream_until_closed(user.token, logout)
    assert ended == [(None, "close", {"type": "close", "code": 4401, "reason": "logged out"})]
