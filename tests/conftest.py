"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured), the app, clients.

Every test that takes ``client`` runs once per database backend. PostgreSQL runs when
``WAKEDOCK_TEST_DATABASE_URL`` is set and is skipped with a visible reason otherwise.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from wakedock.audit import actions as audit_actions
from wakedock.auth import passwords
from wakedock.db import migrate
from wakedock.db.engine import create_engine
from wakedock.db.models import Base
from wakedock.main import create_app
from wakedock.settings import Settings

PG_URL = os.environ.get("WAKEDOCK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("WAKEDOCK_TEST_REDIS_URL")
ADMIN_PASSWORD = "admin-password-1"
# "postgresql" is marked, so `-m "not postgres"` runs every test on SQLite only (make test-fast).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_sync(func: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run a coroutine function to completion from sync code, even inside a running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, func(*args)).result()


async def until(
    condition: Callable[[], object | Awaitable[object]], *, what: str, timeout: float = 10.0
) -> None:
    """Wait until ``condition()`` (or what it returns, awaited) is true, checking every few
    milliseconds: instead of sleeping for as long as it usually takes. Fails naming ``what``
    after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.002)


def pg_safe(url: str) -> str:
    name = make_url(url).database or ""
    if "test" not in name:
        raise RuntimeError(f"refusing to wipe database {name!r}: its name must contain 'test'")
    return url


async def reset_pg_schema(url: str) -> None:
    engine = create_engine(pg_safe(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def truncate_pg(url: str) -> None:
    """Empty every table. A connection an earlier test left idle inside a transaction holds
    locks that TRUNCATE would wait for without end (a CI run's setup hung 60 s once): after
    10 s such connections are ended and the TRUNCATE tried again; an ordinary run never
    waits that long, so it never ends a connection."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    statement = text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE")
    engine = create_engine(url)
    try:
        for attempt in range(2):
            try:
                async with engine.begin() as conn:
                    if not attempt:
                        await conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                    await conn.execute(statement)
                return
            except DBAPIError as exc:
                if attempt or "lock timeout" not in str(exc).lower():
                    raise
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND state LIKE 'idle in transaction%'"
                    )
                )
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def strict_audit_registry() -> Iterator[None]:
    """Every audit write in the suite must match wakedock/audit/actions.py (production logs)."""
    audit_actions.strict(True)
    yield
    audit_actions.strict(False)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id at argon2-cffi's cheapest parameters in this process.

    At the production cost a hash takes about 140 ms and most tests make several (the admin at
    start-up, each user created, each login). A hash records its parameters, so a hash made at
    the production cost still verifies. The servers the tests start as processes
    (``tests/realtime/conftest.py``) make the same swap (``tests/cheap_hash_wakedock.py``), and
    ``tests/auth/test_passwords.py`` checks in a fresh interpreter the parameters a real server
    uses.
    """
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        patch.setattr(passwords, "_DUMMY_HASH", cheap.hash("wakedock-dummy-password"))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


REQUIRE_SERVICES = os.environ.get("WAKEDOCK_TEST_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason; in CI (WAKEDOCK_TEST_REQUIRE_SERVICES=1) fail instead."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def require_pg() -> str:
    if not PG_URL:
        skip_or_fail("PostgreSQL tests need WAKEDOCK_TEST_DATABASE_URL (bash .ci/run sets it)")
    assert PG_URL
    return PG_URL


def require_redis() -> str:
    if not REDIS_URL:
        skip_or_fail("Redis tests need WAKEDOCK_TEST_REDIS_URL (bash .ci/run sets it)")
    assert REDIS_URL
    return REDIS_URL


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    require_pg()
    assert PG_URL
    run_sync(reset_pg_schema, PG_URL)
    migrate.upgrade(PG_URL)
    return PG_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "wakedock.db"
        shutil.copy(template, target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("pg_migrated")
    await truncate_pg(url)
    return url


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "admin_username": "admin",
        "admin_password": ADMIN_PASSWORD,
        "admin_email": "admin@example.com",
        "log_level": "INFO",
        # Tests drive the delivery worker themselves (app.state.worker.drain()).
        "worker_enabled": False,
        "allow_private_targets": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://wakedock.test") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    tokens = await login(client, "admin", ADMIN_PASSWORD)
    return bearer(tokens["access_token"])


@dataclass
class UserHandle:
    id: int
    username: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


UserFactory = Callable[..., Awaitable[UserHandle]]


@pytest.fixture
def make_user(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> UserFactory:
    """Create a user through the admin API and log them in."""
    counter = iter(range(1, 10_000))

    async def factory(role: str = "user", username: str | None = None, **extra: Any) -> UserHandle:
        name = username or f"user{next(counter)}"
        password = f"{name}-password"
        response = await client.post(
            "/api/users",
            json={
                "username": name,
                "email": f"{name}@example.com",
                "password": password,
                "roles": [role],
                **extra,
            },
            headers=admin_headers,
        )
        assert response.status_code == 201, response.text
        tokens = await login(client, name, password)
        return UserHandle(
            id=response.json()["id"],
            username=name,
            password=password,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
        )

    return factory


@contextlib.contextmanager
def statements_sent(app: Any, prefix: str) -> Iterator[list[str]]:
    """Every SQL statement the app sends while inside that starts with ``prefix`` (any case)."""
    seen: list[str] = []
    wanted = prefix.upper()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(wanted):
            seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Every error answer has the one shape ``{"error": {"code", "message", "details"}}`` (and
    ``request_id`` when answered to a request)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) - {"request_id"} == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def no_env_leak(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("WAKEDOCK_") and not key.startswith("WAKEDOCK_TEST_"):
            monkeypatch.delenv(key)
    return
