"""Two server processes sharing PostgreSQL and Redis; a Redis restart; kill -9 mid-traffic."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from websockets.exceptions import ConnectionClosed

from tests.conftest import free_port, require_pg, run_sync
from tests.realtime.conftest import Server, Socket, admin, connect, new_user, server_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


class RedisProcess:
    """A private redis-server on its own port, so restarting it disturbs nobody else."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.dir = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text

    from wakedock.db.engine import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server, RedisProcess]]:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    base = make_url(require_pg())
    name = f"{base.database}_cluster"
    server_url = base.set(database="postgres").render_as_string(hide_password=False)
    run_sync(_admin, server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run_sync(_admin, server_url, f'CREATE DATABASE "{name}"')
    tmp = tmp_path_factory.mktemp("cluster")
    redis = RedisProcess(tmp)
    redis.start()
    env = server_env(
        tmp,
        WAKEDOCK_DATABASE_URL=base.set(database=name).render_as_string(hide_password=False),
        WAKEDOCK_REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
    )
    a = Server(port=free_port(), env=env, log=tmp / "a.log").start()
    b = Server(port=free_port(), env=env, log=tmp / "b.log").start()
    try:
        yield a, b, redis
    finally:
        a.stop()
        b.stop()
        redis.stop()
        run_sync(_admin, server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_events_cross_processes(
    cluster: tuple[Server, Server, RedisProcess], sockets: list[Socket]
) -> None:
    a, b, _ = cluster
    user_on_a = new_user(a.http)
    user_on_b = new_user(b.http)  # same database: the same user works on both
    sock_a = await connect(a.ws, user_on_a)
    sock_b = await connect(b.ws, user_on_a)
    sockets.extend([sock_a, sock_b])
    await sock_a.next("hello")
    await sock_b.next("hello")
    # Created through B, received on A (and B).
    via_b = httpx.post(
        f"{b.http}/api/notifications", json={"title": "from B"}, headers=user_on_a.headers
    ).json()
    assert (await sock_a.next("notification"))["notification"]["id"] == via_b["id"]
    assert (await sock_b.next("notification"))["notification"]["id"] == via_b["id"]
    # Read on B's socket reaches A's.
    await sock_b.send({"type": "mark_read", "ids": [via_b["id"]]})
    assert (await sock_a.next("read"))["ids"] == [via_b["id"]]
    # Resume across processes: missed while away, created on B, replayed by A.
    await sock_a.ws.close()
    missed = [
        httpx.post(
            f"{b.http}/api/notifications", json={"title": f"m{i}"}, headers=user_on_a.headers
        ).json()["id"]
        for i in range(3)
    ]
    again = await connect(a.ws, user_on_a, query=f"&since={via_b['id']}")
    sockets.append(again)
    await again.next("hello")
    assert [(await again.next("notification"))["notification"]["id"] for _ in missed] == missed
    assert user_on_b.user_id != user_on_a.user_id


async def test_a_broadcast_reaches_each_users_sockets_on_both_processes(
    cluster: tuple[Server, Server, RedisProcess], sockets: list[Socket]
) -> None:
    """A broadcast's page is one Redis message (``events.copies``): each process splices the
    events of the users it holds sockets of, and each socket gets its own user's copy, at its
    place in that user's stream."""
    a, b, _ = cluster
    first, second = new_user(a.http), new_user(a.http)
    on_a = await connect(a.ws, first)
    on_b = await connect(b.ws, second)
    also_b = await connect(b.ws, first)
    sockets.extend([on_a, on_b, also_b])
    for sock in (on_a, on_b, also_b):
        await sock.next("hello")
    sent = admin(b.http).post(
        "/api/notifications/broadcast",
        {"title": "over redis", "target": {"user_ids": [first.user_id, second.user_id]}},
    )
    assert sent.status_code == 202, sent.text
    got = {}
    for name, sock in (("a", on_a), ("b", on_b), ("b-first", also_b)):
        event = await sock.next("notification")
        got[name] = (event["notification"]["user_id"], event["notification"]["title"])
        assert event["seq"] is not None
    assert got == {
        "a": (first.user_id, "over redis"),
        "b": (second.user_id, "over redis"),
        "b-first": (first.user_id, "over redis"),
    }
    listed = first.get("/api/notifications").json()["items"]
    assert [n["id"] for n in listed if n["title"] == "over redis"] == [
        m["notification"]["id"] for m in on_a.received if m["type"] == "notification"
    ]


async def test_concurrent_creates_all_arrive_live(
    cluster: tuple[Server, Server, RedisProcess], sockets: list[Socket]
) -> None:
    """Concurrent creates on two processes publish in the order their commits return, not in
    id order: a socket must still get every one of them live, once, in the order of the user's
    stream (positions 1..N, ids growing with them)."""
    a, b, _ = cluster
    user = new_user(a.http)
    sock_a = await connect(a.ws, user)
    sock_b = await connect(b.ws, user)
    sockets.extend([sock_a, sock_b])
    await sock_a.next("hello")
    await sock_b.next("hello")

    async def create(client: httpx.AsyncClient, i: int) -> int:
        answer = await client.post(
            "/api/notifications", json={"title": f"c{i}"}, headers=user.headers
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    async with (
        httpx.AsyncClient(base_url=a.http, timeout=30) as via_a,
        httpx.AsyncClient(base_url=b.http, timeout=30) as via_b,
    ):
        created = await asyncio.gather(*(create(via_a if i % 2 else via_b, i) for i in range(60)))
    for sock in (sock_a, sock_b):
        events = [await sock.next("notification") for _ in created]
        assert [e["seq"] for e in events] == list(range(1, len(created) + 1))
        assert [e["notification"]["id"] for e in events] == sorted(created)  # every one, once
        assert [m for m in await sock.quiet() if m["type"] == "notification"] == []


async def test_redis_restart_is_survived(
    cluster: tuple[Server, Server, RedisProcess], sockets: list[Socket]
) -> None:
    a, b, redis = cluster
    user = new_user(a.http)
    sock = await connect(a.ws, user)
    await sock.next("hello")
    last = user.notify("before restart")["id"]
    assert (await sock.next("notification"))["notification"]["id"] == last
    redis.stop()
    with pytest.raises(ConnectionClosed) as info:
        await sock.next(timeout=10)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1012  # "service restart": resume with since
    # Creates keep working while Redis is down: stored, replayed later.
    during = [
        httpx.post(f"{b.http}/api/notifications", json={"title": f"d{i}"}, headers=user.headers)
        for i in range(3)
    ]
    assert [r.status_code for r in during] == [201, 201, 201]
    redis.start()
    resumed = None
    for _ in range(60):
        try:
            resumed = await connect(a.ws, user, query=f"&since={last}")
            await resumed.next("hello")
            break
        except (ConnectionClosed, OSError, TimeoutError):
            await asyncio.sleep(0.5)
    assert resumed is not None
    sockets.append(resumed)
    got = [(await resumed.next("notification"))["notification"]["id"] for _ in during]
    assert got == [r.json()["id"] for r in during]
    live = httpx.post(
        f"{b.http}/api/notifications", json={"title": "after"}, headers=user.headers
    ).json()
    assert (await resumed.next("notification"))["notification"]["id"] == live["id"]


async def test_kill_9_loses_nothing_that_was_acknowledged(
    tmp_path: Path, sockets: list[Socket]
) -> None:
    server = Server(port=free_port(), env=server_env(tmp_path), log=tmp_path / "s.log").start()
    try:
        user = new_user(server.http)
        acknowledged: list[int] = []
        stop = threading.Event()

        def create_forever() -> None:
            with httpx.Client(timeout=5) as client:
                i = 0
                while not stop.is_set():
                    try:
                        response = client.post(
                            f"{server.http}/api/notifications",
                            json={"title": f"n{i}"},
                            headers=user.headers,
                        )
                    except httpx.HTTPError:
                        return
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])
                    i += 1

        threads = [threading.Thread(target=create_forever) for _ in range(3)]
        for t in threads:
            t.start()
        await asyncio.sleep(1.0)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        stop.set()
        for t in threads:
            t.join(10)
        assert len(acknowledged) > 10
        server.start()
        listed: list[int] = []
        cursor = None
        while True:
            page = httpx.get(
                f"{server.http}/api/notifications",
                params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                headers=user.headers,
            ).json()
            listed += [n["id"] for n in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert set(acknowledged) <= set(listed)
        sock = await connect(server.ws, user, query="&since=0")
        sockets.append(sock)
        await sock.next("hello")
        replayed = {(await sock.next("notification"))["notification"]["id"] for _ in listed}
        assert set(acknowledged) <= replayed
    finally:
        server.stop()


async def test_revocations_reach_sockets_on_the_other_process(
    cluster: tuple[Server, Server, RedisProcess], sockets: list[Socket]
) -> None:
    """Issue 17, finding 6, across processes: changes made through A close or narrow the
    sockets open on B at once (an auth event on Redis), not at B's next periodic check."""
    a, b, _ = cluster
    boss = new_user(a.http, role="admin")
    bob = new_user(a.http)
    made = boss.post("/api/auth/api-tokens", {"name": "watch"})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    doomed = boss.post("/api/auth/api-tokens", {"name": "doomed"}).json()
    watching = await connect(b.ws, boss, user_id=bob.user_id, token=token)
    own = await connect(b.ws, boss, token=token)
    by_doomed = await connect(b.ws, bob, user_id=bob.user_id, token=doomed["token"])
    sockets.extend([watching, own, by_doomed])
    for sock in (watching, own, by_doomed):
        await sock.next("hello")

    async def close_code(sock: Socket) -> int:
        with pytest.raises(ConnectionClosed) as info:
            await sock.next(timeout=5)
        assert info.value.rcvd is not None
        return info.value.rcvd.code

    deleted = httpx.delete(
        f"{a.http}/api/auth/api-tokens/{doomed['id']}", headers=boss.headers, timeout=10
    )
    assert deleted.status_code == 204
    assert await close_code(by_doomed) == 4401
    demoted = admin(a.http).patch(f"/api/users/{boss.user_id}", {"roles": ["user"]})
    assert demoted.status_code == 200, demoted.text
    assert await close_code(watching) == 4403
    await own.send({"type": "ping"})
    assert await own.next("pong") == {"type": "pong"}  # its own stream: still allowed
    assert boss.post("/api/auth/logout").status_code == 204
    await own.send({"type": "ping"})
    assert await own.next("pong") == {"type": "pong"}  # an API token: not a session
    session = await connect(b.ws, bob)
    sockets.append(session)
    await session.next("hello")
    assert bob.post("/api/auth/logout").status_code == 204
    assert await close_code(session) == 4401


async def test_the_cli_closes_a_disabled_users_sockets_at_once(
    cluster: tuple[Server, Server, RedisProcess], sockets: list[Socket]
) -> None:
    """``wakedock user disable`` with WAKEDOCK_REDIS_URL set publishes the auth event too: the
    running servers close that user's sockets at once (an API token's included)."""
    a, b, _ = cluster
    user = new_user(a.http)
    token = user.post("/api/auth/api-tokens", {"name": "cli"}).json()["token"]
    on_a = await connect(a.ws, user)
    on_b = await connect(b.ws, user, token=token)
    sockets.extend([on_a, on_b])
    for sock in (on_a, on_b):
        await sock.next("hello")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "wakedock", "user", "disable", user.username],
        env=a.env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for sock in (on_a, on_b):
        with pytest.raises(ConnectionClosed) as info:
            await sock.next(timeout=5)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 4401
