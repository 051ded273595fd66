"""A widget's current data: from its data source through the shared cache, or computed locally.

Nothing here raises for an upstream problem: every failure becomes that widget's
``{"status": "error", "error": {...}}`` inside a 200 answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.dashboards.models import DashboardWidget, WidgetDataSource
from wakedock.dashboards.schemas import DataError, WidgetData
from wakedock.dashboards.sources import service as sources
from wakedock.dashboards.sources.base import FetchContext, SourceError
from wakedock.dashboards.sources.cache import TTLCache
from wakedock.dashboards.sources.registry import KINDS
from wakedock.dashboards.widgets import WIDGET_TYPES
from wakedock.settings import Settings

logger = logging.getLogger(__name__)

WIDGET_DATA = Counter(
    "wakedock_dashboard_widget_data_total",
    "Widget data answers by source kind and outcome (fetched from upstream, cached, error)",
    ["kind", "outcome"],
)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What fetching needs from the app: settings, sessions, the shared cache."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: TTLCache


def _error(widget: DashboardWidget, error: SourceError, **extra: Any) -> WidgetData:
    return WidgetData(
        widget_id=widget.id,
        type=widget.type,
        status="error",
        error=DataError(code=error.code, message=error.message, details=error.details),
        **extra,
    )


def cache_key(
    source: WidgetDataSource, query: dict[str, Any], user_id: int | None
) -> tuple[Any, ...]:
    """(source, its config version, the query, and the viewer for personal kinds)."""
    personal = KINDS[source.kind].personal
    return (
        source.id,
        sources.fingerprint(source),
        json.dumps(query, sort_keys=True, default=str),
        user_id if personal else None,
    )


def forget_personal(cache: TTLCache, *, user_id: int) -> int:
    """Drop the cached personal results of one user (after they changed their own data)."""
    return cache.invalidate(lambda key: isinstance(key, tuple) and key[3] == user_id)


async def widget_data(
    runtime: Runtime,
    *,
    widget: DashboardWidget,
    source: WidgetDataSource | None,
    viewer_id: int | None,
    now: datetime,
) -> WidgetData:
    """The widget's data or its error state. ``viewer_id`` None means a shared (anonymous) view."""
    widget_type = WIDGET_TYPES.get(widget.type)
    if widget_type is None:
        return _error(widget, SourceError("unknown_widget_type", "This widget type is gone"))
    if widget_type.personal and viewer_id is None:
        return _error(widget, SourceError("personal_widget", "Not shown on shared dashboards"))
    if widget_type.render is not None:
        try:
            return WidgetData(
                widget_id=widget.id,
                type=widget.type,
                status="ok",
                data=widget_type.render(widget.config),
            )
        except Exception as exc:  # a bug in a renderer is this widget's problem only
            logger.exception("widget %s: render failed", widget.id)
            return _error(widget, SourceError("render_failed", type(exc).__name__))
    if source is None:
        wanted = widget.config.get("source") or widget_type.implicit_source
        return _error(
            widget,
            SourceError("source_missing", f"The data source {wanted!r} does not exist"),
            source=wanted,
        )
    extra: dict[str, Any] = {
        "source": source.uid,
        "refresh_interval": source.refresh_interval_seconds,
    }
    if source.kind not in widget_type.source_kinds or source.kind not in KINDS:
        return _error(
            widget,
            SourceError("source_kind_mismatch", f"Cannot read a {source.kind} source"),
            **extra,
        )
    assert widget_type.build_query is not None
    assert widget_type.shape is not None
    kind = KINDS[source.kind]
    query = widget_type.build_query(widget.config, source.kind)
    ctx = FetchContext(
        settings=runtime.settings,
        sessionmaker=runtime.sessionmaker,
        now=now,
        user_id=viewer_id if kind.personal else None,
    )
    try:
        config = sources.plain_config(source, runtime.settings)
    except SourceError as exc:
        return _error(widget, exc, **extra)
    result = await runtime.cache.get_or_fetch(
        cache_key(source, query, viewer_id),
        ttl=source.refresh_interval_seconds,
        fetch=lambda: kind.fetch(config, query, ctx),
    )
    entry = result.entry
    extra.update(fetched_at=entry.fetched_at, cached=result.cached)
    outcome = "error" if entry.error is not None else "cached" if result.cached else "fetched"
    WIDGET_DATA.labels(source.kind, outcome).inc()
    if entry.error is not None:
        return _error(widget, entry.error, **extra)
    try:
        data = widget_type.shape(widget.config, entry.value, source.kind)
    except SourceError as exc:
        return _error(widget, exc, **extra)
    except Exception as exc:
        logger.exception("widget %s: shaping %s data failed", widget.id, source.kind)
        return _error(
            widget,
            SourceError("unexpected_data", f"Unexpected data ({type(exc).__name__})"),
            **extra,
        )
    return WidgetData(widget_id=widget.id, type=widget.type, status="ok", data=data, **extra)


async def sources_for(
    session: AsyncSession, widgets: Sequence[DashboardWidget]
) -> dict[int, WidgetDataSource | None]:
    """Each widget's source: the one it names, or its type's built-in one."""
    rows = (await session.scalars(select(WidgetDataSource))).all()
    by_id = {s.id: s for s in rows}
    by_uid = {s.uid: s for s in rows}
    found: dict[int, WidgetDataSource | None] = {}
    for widget in widgets:
        widget_type = WIDGET_TYPES.get(widget.type)
        if widget.data_source_id is not None:
            found[widget.id] = by_id.get(widget.data_source_id)
        elif widget.config.get("source"):
            found[widget.id] = by_uid.get(str(widget.config["source"]))
        elif widget_type is not None and widget_type.implicit_source:
            found[widget.id] = by_uid.get(widget_type.implicit_source)
        else:
            found[widget.id] = None
    return found


async def many(
    runtime: Runtime,
    session: AsyncSession,
    *,
    widgets: Sequence[DashboardWidget],
    viewer_id: int | None,
    now: datetime,
) -> list[WidgetData]:
    """Every widget's data, fetched concurrently."""
    found = await sources_for(session, widgets)
    return list(
        await asyncio.gather(
            *(
                widget_data(runtime, widget=w, source=found[w.id], viewer_id=viewer_id, now=now)
                for w in widgets
            )
        )
    )
