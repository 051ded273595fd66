"""Dashboards' request dependencies: permissions and the data-fetching runtime."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wakedock.auth.dependencies import require
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.dashboards.data import Runtime
from wakedock.dashboards.sources.cache import TTLCache

Reader = Annotated[Principal, Depends(require(Permission.DASHBOARDS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.DASHBOARDS_WRITE))]
Admin = Annotated[Principal, Depends(require(Permission.DASHBOARDS_ADMIN))]


def get_cache(request: Request) -> TTLCache:
    """The app's one data cache (shared by every request of this process)."""
    cache: TTLCache | None = getattr(request.app.state, "dashboard_cache", None)
    if cache is None:
        settings = request.app.state.settings
        cache = TTLCache(
            max_entries=settings.dashboards_cache_max_entries,
            error_ttl=settings.dashboards_error_ttl_seconds,
        )
        request.app.state.dashboard_cache = cache
    return cache


async def get_runtime(request: Request) -> Runtime:
    return Runtime(
        settings=request.app.state.settings,
        sessionmaker=request.app.state.sessionmaker,
        cache=get_cache(request),
    )


DataRuntime = Annotated[Runtime, Depends(get_runtime)]
