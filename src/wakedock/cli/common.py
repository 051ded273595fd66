"""What the server commands share: consoles, settings, a database session, failing with a code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from wakedock.audit.context import AuditActor
from wakedock.errors import WakeDockError
from wakedock.settings import Settings

console = Console()
err_console = Console(stderr=True)
CLI_ACTOR = AuditActor.system("cli")
T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


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
