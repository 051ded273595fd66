"""Auth events close or narrow open sockets at once, on every process (issue 17, finding 6).

Before: a role change never reached an open socket (an admin demoted to ``user`` kept watching
another user's stream with an API token while REST said 403), a deleted API token's sockets
lived until the next periodic check (12-21 s), and revocations were published on the watched
user's channel, so they missed an admin's socket on someone else's stream.

The in-process tests run on SQLite and PostgreSQL, with the in-memory broker (one app) and
with Redis (the socket on one app, the change made through another sharing the database).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import ADMIN_PASSWORD, UserHandle, bearer, login, make_settings, require_redis
from tests.realtime.conftest import websocket_scope
from wakedock.auth import events as auth_events
from wakedock.broker.backends.memory import MemoryBroker
from wakedock.clock import Clock
from wakedock.gateway import Gateway
from wakedock.main import create_app
from wakedock.realtime.connection import Batch, Connection, Message
from wakedock.realtime.hub import Hub

# ---------------------------------------------------------------- the hub alone (no database)


def hub_socket(
    hub: Hub,
    user_id: int,
    *,
    principal_id: int | None = None,
    session_id: str | None = None,
    api_token_id: int | None = None,
) -> list[tuple[int, str]]:
    closed: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        pass

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    def write_now(message: Message | Batch) -> bool:
        return True

    conn = Connection(
        user_id=user_id,
        send=send,
        close=close,
        write_now=write_now,
        principal_id=principal_id,
        session_id=session_id,
        api_token_id=api_token_id,
    )
    hub.register(conn)
    return closed


def auth(event: auth_events.AuthEvent) -> tuple[str, bytes]:
    return (auth_events.CHANNEL, auth_events.encode(event))


async def test_each_auth_event_closes_exactly_the_sockets_it_names() -> None:
    hub = Hub(
        broker=MemoryBroker(),
        sessionmaker=cast(async_sessionmaker[AsyncSession], None),
        clock=Clock(),
    )
    own_s1 = hub_socket(hub, 1, session_id="s1")
    own_s2 = hub_socket(hub, 1, session_id="s2")
    own_t7 = hub_socket(hub, 1, api_token_id=7)
    own_t8 = hub_socket(hub, 1, api_token_id=8)
    # User 1 (an admin) watching user 2's stream, by session and by token; user 2's own.
    watch_s1 = hub_socket(hub, 2, principal_id=1, session_id="s1")
    watch_t7 = hub_socket(hub, 2, principal_id=1, api_token_id=7)
    other = hub_socket(hub, 2, session_id="s9")

    # A password change: every session of user 1 but s1; API tokens live on.
    await hub.dispatch(
        [auth(auth_events.SessionsRevoked(user_id=1, except_session_id="s1", reason="pw"))]
    )
    await asyncio.sleep(0)
    assert (own_s1, own_s2, own_t7, watch_s1) == ([], [(4401, "pw")], [], [])
    # A logout of s1: its sockets on every stream.
    await hub.dispatch([auth(auth_events.SessionsRevoked(user_id=1, session_id="s1"))])
    await asyncio.sleep(0)
    assert own_s1 == watch_s1 == [(4401, "session revoked")]
    # A deleted token: its sockets on every stream, not the user's other token.
    await hub.dispatch([auth(auth_events.ApiTokenRevoked(user_id=1, api_token_id=7))])
    await asyncio.sleep(0)
    assert own_t7 == watch_t7 == [(4401, "API token revoked")]
    assert own_t8 == other == []
    # Disabled: all of the user's sockets, and those watching their stream.
    watched = hub_socket(hub, 1, principal_id=3, session_id="s3")
    await hub.dispatch([auth(auth_events.UserDisabled(user_id=1))])
    await asyncio.sleep(0)
    assert own_t8 == watched == [(4401, "user disabled")]
    assert other == []
    # Nonsense on the channel is ignored.
    await hub.dispatch([(auth_events.CHANNEL, b"{}"), (auth_events.CHANNEL, b"not json")])
    for conn in hub.all_connections():
        hub.unregister(conn)
    assert hub.connections == {}
    assert hub.watchers == {}


async def test_live_events_carry_their_size_in_bytes() -> None:
    """The outbox bound counts UTF-8 bytes of what waits, from the broker payload."""
    hub = Hub(
        broker=MemoryBroker(),
        sessionmaker=cast(async_sessionmaker[AsyncSession], None),
        clock=Clock(),
    )

    async def send(text: str, _: int | None) -> None:
        await asyncio.Event().wait()  # never writable

    async def close(code: int, reason: str) -> None:
        pass

    conn = Connection(user_id=1, send=send, close=close, write_now=lambda _: False)
    hub.register(conn)
    payload = orjson.dumps({"type": "notification.deleted", "id": 1, "note": "é€😀" * 100})
    await hub.dispatch([("user:1", payload)])
    assert conn.pending_bytes == len(payload)
    await conn.stop()


# ---------------------------------------------------------------- an app, a socket in-process


class InProcessSocket:
    """A notification socket served by an app in this process (ASGI messages on queues)."""

    def __init__(self, app: Any, user_id: int, token: str, query: str = "") -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = websocket_scope(user_id, f"token={token}{query}")
        self.task = asyncio.create_task(Gateway(app)(scope, self.incoming.get, self.outgoing.put))

    async def open(self) -> dict[str, Any]:
        await self.incoming.put({"type": "websocket.connect"})
        assert (await self.raw())["type"] == "websocket.accept"
        return await self.next("hello")

    async def raw(self, timeout: float = 5) -> dict[str, Any]:
        return await asyncio.wait_for(self.outgoing.get(), timeout)

    async def next(self, kind: str | None = None, timeout: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = await self.raw(max(0.01, deadline - time.monotonic()))
            if message["type"] == "websocket.close":
                raise AssertionError(f"closed: {message}")
            event: dict[str, Any] = json.loads(message["text"])
            if kind is None or event["type"] == kind:
                return event

    async def closed(self, timeout: float = 5) -> tuple[int, str]:
        """The close code and reason the server sends within ``timeout`` (skipping messages)."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.raw(max(0.01, deadline - time.monotonic()))
            if message["type"] == "websocket.close":
                await self.incoming.put({"type": "websocket.disconnect", "code": message["code"]})
                await asyncio.wait_for(self.task, 5)
                return message["code"], message.get("reason", "")

    async def alive(self) -> None:
        """Still open: a ping is answered."""
        await self.incoming.put({"type": "websocket.receive", "text": '{"type": "ping"}'})
        assert await self.next("pong") == {"type": "pong"}

    async def end(self) -> None:
        if not self.task.done():
            await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
            await asyncio.wait_for(self.task, 5)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def watch_app(
    request: pytest.FixtureRequest, app: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[Any]:
    """Where the sockets are: the test's app (memory broker), or with Redis a second app on
    the same database, while REST calls go to the first (another process, in effect)."""
    if request.param == "memory":
        yield app
        return
    redis_url = require_redis()
    # Two more apps on Redis (the fixture's is on the memory broker), with the same data
    # directory (the same secret key: a token from one is good on the other).
    data_dir = app.state.settings.data_dir
    rest = create_app(make_settings(data_dir, database_url, redis_url=redis_url))
    watch = create_app(make_settings(data_dir, database_url, redis_url=redis_url))
    async with (
        rest.router.lifespan_context(rest),
        watch.router.lifespan_context(watch),
    ):
        watch.state.rest_app = rest
        yield watch


@pytest.fixture
async def rest(watch_app: Any, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The client of the app where changes are made (not the sockets' app with Redis)."""
    other = getattr(watch_app.state, "rest_app", None)
    if other is None:
        yield client
        return
    transport = httpx.ASGITransport(app=other, client=("203.0.113.8", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c


async def new_user(rest: httpx.AsyncClient, name: str, role: str = "user") -> UserHandle:
    admin = await login(rest, "admin", ADMIN_PASSWORD)
    password = f"{name}-password"
    created = await rest.post(
        "/api/users",
        json={
            "username": name,
            "email": f"{name}@example.com",
            "password": password,
            "roles": [role],
        },
        headers=bearer(admin["access_token"]),
    )
    assert created.status_code == 201, created.text
    tokens = await login(rest, name, password)
    return UserHandle(
        created.json()["id"], name, password, tokens["access_token"], tokens["refresh_token"]
    )


async def api_token(rest: httpx.AsyncClient, user: UserHandle, name: str) -> tuple[int, str]:
    made = await rest.post("/api/auth/api-tokens", json={"name": name}, headers=user.headers)
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["token"]


async def admin_headers_of(rest: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await login(rest, "admin", ADMIN_PASSWORD))["access_token"])


async def test_a_demoted_admin_stops_watching_another_users_stream_at_once(
    watch_app: Any, rest: httpx.AsyncClient
) -> None:
    """The reproducer: an admin watches another user's stream with an API token and is
    demoted to ``user``: that socket closes with 4403 at once (REST says 403 at once); the
    same token's socket on their own stream, still allowed, stays open and live."""
    boss = await new_user(rest, "boss", role="admin")
    bob = await new_user(rest, "bob")
    _, token = await api_token(rest, boss, "watch")
    watching = InProcessSocket(watch_app, bob.id, token)
    own = InProcessSocket(watch_app, boss.id, token)
    try:
        assert (await watching.open())["user_id"] == bob.id
        await own.open()
        demoted = await rest.patch(
            f"/api/users/{boss.id}", json={"roles": ["user"]}, headers=await admin_headers_of(rest)
        )
        assert demoted.status_code == 200, demoted.text
        assert await watching.closed() == (4403, "You may only listen to your own notifications")
        assert (await rest.get("/api/users", headers=bearer(token))).status_code == 403
        await own.alive()
        created = await rest.post("/api/notifications", json={"title": "hi"}, headers=bearer(token))
        assert created.status_code == 201, created.text
        assert (await own.next("notification"))["notification"]["id"] == created.json()["id"]
        # Promoted again: a new socket may watch again (nothing was remembered against it).
        promoted = await rest.patch(
            f"/api/users/{boss.id}", json={"roles": ["admin"]}, headers=await admin_headers_of(rest)
        )
        assert promoted.status_code == 200
        again = InProcessSocket(watch_app, bob.id, token)
        assert (await again.open())["user_id"] == bob.id
        await again.alive()
        await again.end()
    finally:
        await watching.end()
        await own.end()


async def test_deleting_an_api_token_closes_its_sockets_at_once(
    watch_app: Any, rest: httpx.AsyncClient
) -> None:
    """Before: 12-21 s later (the periodic check). Only that token's sockets close."""
    user = await new_user(rest, "tok")
    doomed_id, doomed = await api_token(rest, user, "doomed")
    _, kept = await api_token(rest, user, "kept")
    first = InProcessSocket(watch_app, user.id, doomed)
    second = InProcessSocket(watch_app, user.id, doomed)
    other = InProcessSocket(watch_app, user.id, kept)
    session = InProcessSocket(watch_app, user.id, user.access_token)
    try:
        for sock in (first, second, other, session):
            await sock.open()
        deleted = await rest.delete(f"/api/auth/api-tokens/{doomed_id}", headers=user.headers)
        assert deleted.status_code == 204
        assert await first.closed() == (4401, "API token revoked")
        assert await second.closed() == (4401, "API token revoked")
        await other.alive()
        await session.alive()
    finally:
        for sock in (first, second, other, session):
            await sock.end()


async def test_disabling_or_deleting_a_watcher_closes_the_streams_they_watch(
    watch_app: Any, rest: httpx.AsyncClient
) -> None:
    """Revocations used to go to the watched user's channel: an admin's socket on someone
    else's stream missed them (a disabled admin's API token kept it open)."""
    boss = await new_user(rest, "boss2", role="admin")
    chief = await new_user(rest, "chief", role="admin")
    bob = await new_user(rest, "bob2")
    _, boss_token = await api_token(rest, boss, "watch")
    _, chief_token = await api_token(rest, chief, "watch")
    by_boss = InProcessSocket(watch_app, bob.id, boss_token)
    by_chief = InProcessSocket(watch_app, bob.id, chief_token)
    bobs = InProcessSocket(watch_app, bob.id, bob.access_token)
    try:
        for sock in (by_boss, by_chief, bobs):
            await sock.open()
        headers = await admin_headers_of(rest)
        disabled = await rest.patch(
            f"/api/users/{boss.id}", json={"is_active": False}, headers=headers
        )
        assert disabled.status_code == 200
        assert await by_boss.closed() == (4401, "user disabled")
        await by_chief.alive()
        await bobs.alive()
        assert (await rest.delete(f"/api/users/{chief.id}", headers=headers)).status_code == 204
        assert await by_chief.closed() == (4401, "user deleted")
        await bobs.alive()
    finally:
        for sock in (by_boss, by_chief, bobs):
            await sock.end()


async def test_a_password_change_closes_the_other_sessions_only(
    watch_app: Any, rest: httpx.AsyncClient
) -> None:
    """The session that changed the password and the user's API tokens keep their sockets
    (before, every socket of the user but that session's closed, API tokens' too); then a
    logout closes that session's sockets."""
    user = await new_user(rest, "pw")
    other_login = await login(rest, user.username, user.password)
    _, token = await api_token(rest, user, "script")
    current = InProcessSocket(watch_app, user.id, user.access_token)
    other = InProcessSocket(watch_app, user.id, other_login["access_token"])
    script = InProcessSocket(watch_app, user.id, token)
    try:
        for sock in (current, other, script):
            await sock.open()
        changed = await rest.patch(
            "/api/auth/me",
            json={"current_password": user.password, "new_password": "a-new-password-1"},
            headers=user.headers,
        )
        assert changed.status_code == 200, changed.text
        assert await other.closed() == (4401, "password changed")
        await current.alive()
        await script.alive()
        assert (await rest.post("/api/auth/logout", headers=user.headers)).status_code == 204
        assert await current.closed() == (4401, "logged out")
        await script.alive()
    finally:
        for sock in (current, other, script):
            await sock.end()


async def test_a_reused_refresh_token_closes_its_sessions_sockets(
    watch_app: Any, rest: httpx.AsyncClient
) -> None:
    """Presenting a used refresh token revokes the session (a theft signal): its sockets
    close at once, not at the next periodic check."""
    rest_app = getattr(watch_app.state, "rest_app", watch_app)
    rest_app.state.settings.refresh_reuse_grace_seconds = 0  # no grace: the replay is at once
    user = await new_user(rest, "thief")
    sock = InProcessSocket(watch_app, user.id, user.access_token)
    try:
        await sock.open()
        body = {"refresh_token": user.refresh_token}
        assert (await rest.post("/api/auth/refresh", json=body)).status_code == 200
        assert (await rest.post("/api/auth/refresh", json=body)).status_code == 401
        assert await sock.closed() == (4401, "refresh token reused")
    finally:
        await sock.end()


async def test_a_socket_checked_before_a_role_change_and_registered_after_it_is_checked_again(
    app: Any, client: httpx.AsyncClient
) -> None:
    """The race between authorizing a socket and registering it: an auth event that arrives
    in between has the socket checked again when it registers."""
    boss = await new_user(client, "racer", role="admin")
    bob = await new_user(client, "bob3")
    token_id, _ = await api_token(client, boss, "watch")
    hub: Hub = app.state.hub
    checked_at = time.monotonic()  # the socket's credentials were checked here...
    demoted = await client.patch(
        f"/api/users/{boss.id}", json={"roles": ["user"]}, headers=await admin_headers_of(client)
    )
    assert demoted.status_code == 200
    for _ in range(100):  # ...the event arrived...
        if boss.id in hub._auth_changed:
            break
        await asyncio.sleep(0.01)
    closed: list[tuple[int, str]] = []

    async def send(text: str, _: int | None) -> None:
        pass

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    conn = Connection(
        user_id=bob.id, send=send, close=close, principal_id=boss.id, api_token_id=token_id
    )
    await hub.open(conn, since=None, checked_at=checked_at)  # ...and then it registered
    for _ in range(200):
        if closed:
            break
        await asyncio.sleep(0.01)
    hub.unregister(conn)
    assert closed == [(4403, "You may only listen to your own notifications")]
