"""The Server-Sent Events fallback."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.realtime.conftest import Server, new_user


async def read_events(response: httpx.Response, count: int) -> list[tuple[str | None, str, dict]]:
    events: list[tuple[str | None, str, dict]] = []
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
            reader = asyncio.create_task(read_events(response, 2))
            await asyncio.sleep(0.3)
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
