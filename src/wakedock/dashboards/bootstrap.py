"""Start-up: the built-in data sources and templates exist and match the code."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.dashboards.sources import service as sources
from wakedock.dashboards.templates import service as templates


async def ensure_builtins(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await sources.ensure_builtins(sessionmaker)
    await templates.ensure_builtins(sessionmaker)
