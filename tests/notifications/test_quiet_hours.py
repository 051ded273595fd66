"""Quiet hours: pure rules across midnight, time zones and DST; held pushes released later."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import UserFactory, until
from tests.notifications.conftest import SmtpSink
from wakedock.clock import FrozenClock
from wakedock.notifications import events
from wakedock.notifications.preferences.policy import Preferences, decide, quiet_window_end
from wakedock.realtime.connection import Connection

PARIS = ZoneInfo("Europe/Paris")


def at(text: str, zone: ZoneInfo = PARIS) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "end", "local", "expected_end"),
    [
        ("22:00", "07:00", "2026-03-10T23:30", "2026-03-11T07:00"),  # before midnight
        ("22:00", "07:00", "2026-03-11T02:15", "2026-03-11T07:00"),  # after midnight
        ("22:00", "07:00", "2026-03-11T07:00", None),  # the end is outside
        ("22:00", "07:00", "2026-03-11T21:59", None),
        ("22:00", "07:00", "2026-03-11T22:00", "2026-03-12T07:00"),
        ("09:00", "17:00", "2026-03-11T12:00", "2026-03-11T17:00"),  # same-day window
        ("09:00", "17:00", "2026-03-11T18:00", None),
        # DST starts in Paris on 2026-03-29 at 02:00 → 03:00: the window still ends at 07:00 local.
        ("22:00", "07:00", "2026-03-28T23:00", "2026-03-29T07:00"),
    ],
)
def test_quiet_window(start: str, end: str, local: str, expected_end: str | None) -> None:
    prefs = Preferences(quiet_hours_start=start, quiet_hours_end=end, timezone="Europe/Paris")
    result = quiet_window_end(prefs, at(local))
    assert result == (at(expected_end) if expected_end else None)


def test_time_zone_matters() -> None:
    prefs_tokyo = Preferences(
        quiet_hours_start="22:00", quiet_hours_end="07:00", timezone="Asia/Tokyo"
    )
    prefs_ny = Preferences(
        quiet_hours_start="22:00", quiet_hours_end="07:00", timezone="America/New_York"
    )
    now = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo, 10:00 in New York
    assert quiet_window_end(prefs_tokyo, now) == datetime(2026, 6, 1, 22, 0, tzinfo=UTC)
    assert quiet_window_end(prefs_ny, now) is None


def test_decide_rules() -> None:
    night = at("2026-03-10T23:30")
    prefs = Preferences(
        quiet_hours_start="22:00",
        quiet_hours_end="07:00",
        timezone="Europe/Paris",
        notification_types=("error", "info"),
        min_priority="normal",
        email_enabled=False,
    )
    held = decide(prefs, channel="websocket", type="error", priority="high", now=night)
    assert held.allowed
    assert held.hold_until == at("2026-03-11T07:00")
    assert decide(prefs, channel="websocket", type="error", priority="urgent", now=night).now
    assert not decide(
        prefs, channel="websocket", type="deployment", priority="urgent", now=night
    ).allowed
    assert not decide(prefs, channel="websocket", type="error", priority="low", now=night).allowed
    assert not decide(prefs, channel="email", type="error", priority="urgent", now=night).allowed


@pytest.mark.parametrize(
    "body",
    [
        {"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"},
        {"quiet_hours_start": "7:00", "quiet_hours_end": "08:00"},
        {"quiet_hours_start": "22:00"},
        {"quiet_hours_start": "22:00", "quiet_hours_end": None},
        {"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"},
        {"timezone": "Moon/Base"},
        {"min_priority": "critical"},
        {"notification_types": ["info", "gossip"]},
        {"email_digest": "weekly"},
        {"max_notifications": 0},
        {"websocket_enabled": "maybe"},
        {"unknown": True},
    ],
)
async def test_bad_preferences_are_422_and_change_nothing(
    client: httpx.AsyncClient, make_user: UserFactory, body: dict[str, Any]
) -> None:
    user = await make_user()
    before = (await client.get("/api/notifications/preferences", headers=user.headers)).json()
    response = await client.patch("/api/notifications/preferences", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    # The validator's own words, not pydantic's "Value error, …" in front of them.
    assert not any(d["msg"].startswith("Value error") for d in error["details"]), error
    assert "Value error" not in error["message"]
    assert (
        await client.get("/api/notifications/preferences", headers=user.headers)
    ).json() == before


async def test_preferences_get_put_patch(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user(timezone="Asia/Tokyo")
    defaults = (await client.get("/api/notifications/preferences", headers=user.headers)).json()
    assert defaults["timezone"] == "Asia/Tokyo"
    assert defaults["websocket_enabled"] is True
    assert defaults["email_digest"] == "off"
    assert set(defaults["notification_types"]) >= {"info", "security", "monitoring"}
    patched = (
        await client.patch(
            "/api/notifications/preferences",
            json={
                "quiet_hours_start": "23:00",
                "quiet_hours_end": "06:30",
                "min_priority": "high",
                "email_digest": "daily",
                "timezone": "Europe/Paris",
            },
            headers=user.headers,
        )
    ).json()
    assert patched["quiet_hours_start"] == "23:00"
    assert patched["min_priority"] == "high"
    assert patched["timezone"] == "Europe/Paris"
    replaced = (
        await client.put(
            "/api/notifications/preferences", json={"push_enabled": False}, headers=user.headers
        )
    ).json()
    assert replaced["push_enabled"] is False
    assert replaced["quiet_hours_start"] is None
    assert replaced["min_priority"] == "low"
    assert replaced["timezone"] == "Asia/Tokyo"
    off = (
        await client.patch(
            "/api/notifications/preferences",
            json={"quiet_hours_start": None, "quiet_hours_end": None},
            headers=user.headers,
        )
    ).json()
    assert off["quiet_hours_start"] is None


class Listener:
    """Collects what the broker publishes for one user, as the real-time gateway would."""

    # A control type (leading "_"): the hub never forwards it to a socket.
    MARKER = "_test_listener_marker"

    def __init__(self, app: Any, user_id: int) -> None:
        self.app, self.user_id, self.events = app, user_id, []  # type: list[dict[str, Any]]
        self.markers: set[int] = set()

    async def __aenter__(self) -> Listener:
        broker = self.app.state.broker
        self._cm = broker.subscribe(f"user:{self.user_id}", events.COPIES_CHANNEL)
        subscription = await self._cm.__aenter__()

        async def pump() -> None:
            async for channel, payload in subscription:
                if channel == events.COPIES_CHANNEL:  # a broadcast's page: this user's copies
                    mine = events.read_copies(payload, {self.user_id})
                    self.events.extend(json.loads(event) for *_, event in mine)
                    continue
                event = json.loads(payload)
                if event.get("type") == self.MARKER:
                    self.markers.add(event["n"])
                else:
                    self.events.append(event)

        self._task = asyncio.create_task(pump())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()
        await self._cm.__aexit__(None, None, None)

    async def settle(self) -> list[dict[str, Any]]:
        """Every event published so far (the publishes are done): a marker published now comes
        after them on the user's channel, so once it is here, so are they."""
        n = len(self.markers)
        marker = json.dumps({"type": self.MARKER, "n": n}).encode()
        await self.app.state.broker.publish(f"user:{self.user_id}", marker)
        await until(lambda: n in self.markers, what="the listener's marker")
        return self.events


async def replayed(app: Any, user_id: int, since: int) -> list[int]:
    """The ids a socket resuming with ``since`` is sent (the gateway's own replay)."""
    sent: list[dict[str, Any]] = []

    async def send(text: str, _: int | None) -> None:
        sent.append(json.loads(text))

    async def close(code: int, reason: str) -> None:
        raise AssertionError(f"closed {code} {reason}")

    conn = Connection(user_id=user_id, send=send, close=close)
    await app.state.hub.resume(conn, since)
    while conn.outbox:
        await asyncio.sleep(0.01)
    return [e["notification"]["id"] for e in sent if e["type"] == "notification"]


async def test_quiet_hours_hold_non_urgent_and_pass_urgent(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    app: Any,
    smtp_server: SmtpSink,
) -> None:
    await client.post(
        "/api/notifications/channels",
        json={
            "name": "mail",
            "type": "email",
            "config": {
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "tls_mode": "none",
                "from_address": "wd@example.com",
            },
        },
        headers=admin_headers,
    )
    clock = FrozenClock(at("2026-03-10T23:30"))
    app.state.clock = clock
    app.state.worker.clock = clock
    user = await make_user()
    await client.patch(
        "/api/notifications/preferences",
        json={"quiet_hours_start": "22:00", "quiet_hours_end": "07:00", "timezone": "Europe/Paris"},
        headers=user.headers,
    )
    async with Listener(app, user.id) as listener:
        calm = (
            await client.post(
                "/api/notifications", json={"title": "nightly report"}, headers=user.headers
            )
        ).json()
        calm2 = (
            await client.post(
                "/api/notifications",
                json={"title": "second report", "priority": "high"},
                headers=user.headers,
            )
        ).json()
        fire = (
            await client.post(
                "/api/notifications",
                json={"title": "DB down", "priority": "urgent"},
                headers=user.headers,
            )
        ).json()
        await app.state.worker.drain()
        events = await listener.settle()
        # Stored and listed, but only the urgent one was pushed.
        listed = (await client.get("/api/notifications", headers=user.headers)).json()["items"]
        assert {n["id"] for n in listed} == {calm["id"], calm2["id"], fire["id"]}
        assert [e["notification"]["id"] for e in events if e["type"] == "notification"] == [
            fire["id"]
        ]
        assert [m[2]["Subject"] for m in smtp_server.messages] == ["DB down"]
        # A held one is not replayed either until it is released.
        assert await replayed(app, user.id, 0) == [fire["id"]]
        assert await replayed(app, user.id, fire["id"]) == []

        clock.set(at("2026-03-11T07:00"))
        await app.state.worker.drain()
        events = await listener.settle()
        pushed = [
            (e["notification"]["id"], e["seq"]) for e in events if e["type"] == "notification"
        ]
        # Released after the urgent one, they come after it in the user's live stream...
        assert pushed == [(fire["id"], 1), (calm["id"], 2), (calm2["id"], 3)]
        # ...so a client that saw the urgent one and went away before the release is sent
        # them when it resumes, though their ids are older.
        assert await replayed(app, user.id, fire["id"]) == [calm["id"], calm2["id"]]
        assert await replayed(app, user.id, calm["id"]) == [calm2["id"]]
        assert await replayed(app, user.id, calm2["id"]) == []
        # From the start: the whole stream, in its order.
        assert await replayed(app, user.id, 0) == [fire["id"], calm["id"], calm2["id"]]
        # The held e-mails arrive as one digest.
        assert len(smtp_server.messages) == 2
        digest = smtp_server.messages[1][2]
        assert digest["Subject"] == "2 notifications from WakeDock"
        text = next(p for p in digest.walk() if p.get_content_type() == "text/plain").get_payload(
            decode=True
        )
        assert b"nightly report" in text
        assert b"second report" in text


async def test_disabled_types_and_low_priority_are_stored_not_pushed(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    user = await make_user()
    await client.patch(
        "/api/notifications/preferences",
        json={"notification_types": ["error"], "min_priority": "high"},
        headers=user.headers,
    )
    async with Listener(app, user.id) as listener:
        await client.post(
            "/api/notifications",
            json={"title": "info", "type": "info", "priority": "urgent"},
            headers=user.headers,
        )
        await client.post(
            "/api/notifications", json={"title": "low err", "type": "error"}, headers=user.headers
        )
        shown = (
            await client.post(
                "/api/notifications",
                json={"title": "big err", "type": "error", "priority": "high"},
                headers=user.headers,
            )
        ).json()
        await app.state.worker.drain()
        events = await listener.settle()
    assert [e["notification"]["id"] for e in events if e["type"] == "notification"] == [shown["id"]]
    assert len((await client.get("/api/notifications", headers=user.headers)).json()["items"]) == 3


async def test_websocket_disabled_pushes_nothing_but_read_sync_still_flows(
    client: httpx.AsyncClient, make_user: UserFactory, app: Any
) -> None:
    user = await make_user()
    await client.patch(
        "/api/notifications/preferences", json={"websocket_enabled": False}, headers=user.headers
    )
    async with Listener(app, user.id) as listener:
        n = (
            await client.post("/api/notifications", json={"title": "x"}, headers=user.headers)
        ).json()
        await client.post(f"/api/notifications/{n['id']}/read", headers=user.headers)
        events = await listener.settle()
    assert events == [{"type": "read", "ids": [n["id"]], "unread_count": 0}]
