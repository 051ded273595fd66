"""What the server commands share: consoles, settings, a database session, failing with a code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from wakedock.audit.context import AuditActor
from wakedock.errors import WakeDockError
from wakedock.settings import Settings

if TYPE_CHECKING:
    from wakedock.ops.claim import Claim

console = Console()
err_console = Console(stderr=True)
CLI_ACTOR = AuditActor.system("cli")
T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def claim_database(settings: Settings, command: str) -> Claim | None:
    """Without a shared broker, claim the database for this process (``ops.claim``), or exit 2
    naming the process that holds it. With one, claim nothing."""
    from wakedock.ops import claim

    if settings.redis_url:
        return None
    try:
        return claim.claim_database(settings.resolved_database_url, command=command)
    except claim.ClaimHeld as exc:
        raise fail(
            f"another WakeDock process already uses this database without a shared broker:"
            f" {exc.holder}. Two processes with in-process brokers would each miss the other's"
            " live notifications. Stop it, or set WAKEDOCK_REDIS_URL (e.g."
            " redis://127.0.0.1:6379/0) for every process.",
            2,
        ) from None
    except Exception as exc:  # the database cannot be reached
        raise fail(f"cannot claim the database: {type(exc).__name__}: {exc}", 1) from None


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {exc}", 2) from None


def run_db(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run ``work(session)`` against a migrated database, turning service errors into exits."""
    from wakedock.db import migrate
    from wakedock.db.engine import create_engine, create_sessionmaker

    migrate.upgrade(settings.resolved_database_url, keyring=settings.keyring)

    async def runner() -> T:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(runner())
    except WakeDockError as exc:
        raise fail(exc.message, 1) from None
