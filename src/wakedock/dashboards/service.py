"""Layouts and their widgets: a user sees and changes only their own (404 otherwise)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.dashboards import layout as grid
from wakedock.dashboards import preferences
from wakedock.dashboards.models import DashboardLayout, DashboardWidget, WidgetDataSource
from wakedock.dashboards.sources.http_json import compile_selector
from wakedock.dashboards.widgets import WIDGET_TYPES, WidgetType
from wakedock.dashboards.widgets.validation import (
    MAX_ROWS,
    validate_config,
    validate_position,
    with_defaults,
)
from wakedock.db.base import utcnow
from wakedock.errors import Conflict, NotFound, ValidationFailed

MAX_LAYOUTS_PER_USER = 100
MAX_WIDGETS_PER_LAYOUT = 100


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def overlaps(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def rect(widget: DashboardWidget) -> Rect:
    return Rect(widget.x, widget.y, widget.w, widget.h)


# ---------------------------------------------------------------- layouts


async def list_layouts(session: AsyncSession, *, user_id: int) -> Sequence[DashboardLayout]:
    query = (
        select(DashboardLayout)
        .where(DashboardLayout.user_id == user_id)
        .order_by(DashboardLayout.name, DashboardLayout.id)
    )
    return (await session.scalars(query)).all()


async def get_or_raise(session: AsyncSession, *, user_id: int, layout_id: int) -> DashboardLayout:
    """The user's layout; anyone else's (or a missing one) is a 404."""
    layout = (
        await session.scalars(
            select(DashboardLayout).where(
                DashboardLayout.id == layout_id, DashboardLayout.user_id == user_id
            )
        )
    ).first()
    if layout is None:
        raise NotFound("Dashboard not found")
    return layout


async def _check_layout_quota(session: AsyncSession, *, user_id: int) -> None:
    count = await session.scalar(
        select(func.count()).select_from(DashboardLayout).where(DashboardLayout.user_id == user_id)
    )
    if int(count or 0) >= MAX_LAYOUTS_PER_USER:
        raise Conflict(f"You already have {MAX_LAYOUTS_PER_USER} dashboards", code="limit_reached")


def _layout_details(layout: DashboardLayout) -> dict[str, Any]:
    return {
        "name": layout.name,
        "columns": layout.columns,
        "row_height": layout.row_height,
        "gap": layout.gap,
    }


async def create_layout(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    name: str,
    description: str = "",
    columns: int = 12,
    row_height: int = 80,
    gap: int = 8,
    widgets: Sequence[dict[str, Any]] = (),
    action: AuditAction = AuditAction.DASHBOARD_CREATE,
    audit_details: dict[str, Any] | None = None,
) -> DashboardLayout:
    """Create a layout (with ``widgets`` as ``{"type", "title", "position", "config"}``)."""
    await _check_layout_quota(session, user_id=user_id)
    layout = DashboardLayout(
        user_id=user_id,
        name=name,
        description=description,
        columns=columns,
        row_height=row_height,
        gap=gap,
        widgets=[],
    )
    sources = await _sources_by_uid(session)
    for spec in widgets:
        position = spec["position"]
        layout.widgets.append(
            DashboardWidget(
                type=spec["type"],
                title=spec["title"],
                x=position["x"],
                y=position["y"],
                w=position["w"],
                h=position["h"],
                config=dict(spec["config"]),
                data_source_id=_source_id(spec["config"], sources),
            )
        )
    session.add(layout)
    await session.flush()
    # The first dashboard a user makes (or any, while none is their default) becomes it.
    prefs = await preferences.get_or_create(session, user_id=user_id)
    made_default = prefs.default_layout_id is None
    if made_default:
        prefs.default_layout_id = layout.id
        prefs.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=action,
        resource_type="dashboard",
        resource_id=layout.id,
        details={
            **_layout_details(layout),
            "widgets": len(widgets),
            **({"default": True} if made_default else {}),
            **(audit_details or {}),
        },
    )
    await session.commit()
    return layout


async def update_layout(
    session: AsyncSession,
    *,
    actor: AuditActor,
    layout: DashboardLayout,
    changes: dict[str, Any],
) -> DashboardLayout:
    """Rename, describe or change the grid; a grid the widgets no longer fit is a 422."""
    columns = changes.get("columns", layout.columns)
    if columns != layout.columns:
        for widget in layout.widgets:
            if widget.x + widget.w > columns:
                raise ValidationFailed(
                    f"Widget {widget.id} ({widget.title!r}) would not fit {columns} columns: "
                    "move or resize it first",
                    field="body.columns",
                )
    changed = {k: v for k, v in changes.items() if getattr(layout, k) != v}
    for key, value in changed.items():
        setattr(layout, key, value)
    if changed:
        layout.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.DASHBOARD_UPDATE,
            resource_type="dashboard",
            resource_id=layout.id,
            details={"changed": sorted(changed)},
        )
        await session.commit()
    return layout


async def delete_layout(
    session: AsyncSession, *, actor: AuditActor, layout: DashboardLayout
) -> None:
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_DELETE,
        resource_type="dashboard",
        resource_id=layout.id,
        details={"name": layout.name, "widgets": len(layout.widgets)},
    )
    await session.delete(layout)
    await session.commit()


def widget_specs(layout: DashboardLayout) -> list[dict[str, Any]]:
    """The layout's widgets as plain specs (for copies and templates)."""
    return [
        {
            "type": w.type,
            "title": w.title,
            "position": {"x": w.x, "y": w.y, "w": w.w, "h": w.h},
            "config": dict(w.config),
        }
        for w in layout.widgets
    ]


async def duplicate_layout(
    session: AsyncSession, *, actor: AuditActor, layout: DashboardLayout, name: str | None
) -> DashboardLayout:
    """A copy with copies of every widget (not shared, not the default)."""
    return await create_layout(
        session,
        actor=actor,
        user_id=layout.user_id,
        name=name or f"{layout.name} (copy)"[:100],
        description=layout.description,
        columns=layout.columns,
        row_height=layout.row_height,
        gap=layout.gap,
        widgets=widget_specs(layout),
        action=AuditAction.DASHBOARD_DUPLICATE,
        audit_details={"from_id": layout.id},
    )


async def set_default(session: AsyncSession, *, actor: AuditActor, layout: DashboardLayout) -> None:
    """Make ``layout`` its owner's one default dashboard."""
    prefs = await preferences.get_or_create(session, user_id=layout.user_id)
    prefs.default_layout_id = layout.id
    prefs.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_SET_DEFAULT,
        resource_type="dashboard",
        resource_id=layout.id,
        details={"name": layout.name},
    )
    await session.commit()


# ---------------------------------------------------------------- widgets


async def get_widget_or_raise(
    session: AsyncSession, *, user_id: int, widget_id: int
) -> DashboardWidget:
    """The widget, if it sits on one of the user's layouts; otherwise a 404."""
    layout_id = await session.scalar(
        select(DashboardWidget.layout_id)
        .join(DashboardLayout)
        .where(DashboardWidget.id == widget_id, DashboardLayout.user_id == user_id)
    )
    if layout_id is not None:
        layout = await get_or_raise(session, user_id=user_id, layout_id=layout_id)
        for widget in layout.widgets:
            if widget.id == widget_id:
                set_committed_value(widget, "layout", layout)  # no lazy load in async code
                return widget
    raise NotFound("Widget not found")


def _type_or_raise(name: str, *, field: str) -> WidgetType:
    widget_type = WIDGET_TYPES.get(name)
    if widget_type is None:
        raise ValidationFailed(
            f"Unknown widget type {name!r} (see GET /api/dashboards/widget-types)",
            field=field,
            code="unknown_widget_type",
        )
    return widget_type


async def _sources_by_uid(session: AsyncSession) -> dict[str, WidgetDataSource]:
    return {s.uid: s for s in (await session.scalars(select(WidgetDataSource))).all()}


def _source_id(config: dict[str, Any], sources: dict[str, WidgetDataSource]) -> int | None:
    uid = config.get("source")
    source = sources.get(uid) if isinstance(uid, str) else None
    return source.id if source is not None else None


async def _check_source(
    session: AsyncSession, widget_type: WidgetType, config: dict[str, Any], *, field: str
) -> int | None:
    """The id of the data source the config names, checked to exist and be of a fitting kind."""
    uid = config.get("source")
    if uid is None:
        return None
    source = (
        await session.scalars(select(WidgetDataSource).where(WidgetDataSource.uid == uid))
    ).first()
    if source is None:
        raise ValidationFailed(
            f"Unknown data source {uid!r}", field=f"{field}.source", code="unknown_data_source"
        )
    if source.kind not in widget_type.source_kinds:
        raise ValidationFailed(
            f"A {widget_type.name} widget cannot read a {source.kind} source "
            f"(it takes: {', '.join(widget_type.source_kinds)})",
            field=f"{field}.source",
        )
    if source.kind == "http_json" and isinstance(config.get("query"), str):
        # On an http_json source the query is a JSONPath selector: refuse a broken one now.
        try:
            compile_selector(config["query"])
        except ValueError as exc:
            raise ValidationFailed(str(exc), field=f"{field}.query") from None
    return source.id


def _items(widgets: Sequence[DashboardWidget]) -> list[grid.Item]:
    return [grid.Item(w.id, w.x, w.y, w.w, w.h) for w in widgets]


def _apply(layout: DashboardLayout, arranged: Sequence[grid.Item], *, field: str) -> list[int]:
    """Store the arranged boxes (ids of the widgets that moved); a dashboard taller than the
    grid allows is a 422 and changes nothing."""
    if grid.bottom(arranged) > MAX_ROWS:
        raise ValidationFailed(
            f"That would make the dashboard taller than {MAX_ROWS} rows", field=field
        )
    boxes = {item.i: item for item in arranged}
    moved: list[int] = []
    for widget in layout.widgets:
        item = boxes.get(widget.id)
        if item is not None and item.box() != (widget.x, widget.y, widget.w, widget.h):
            widget.x, widget.y, widget.w, widget.h = item.box()
            widget.updated_at = utcnow()
            moved.append(widget.id)
    return sorted(moved)


def first_free_spot(occupied: Sequence[Rect], *, w: int, h: int, columns: int) -> Rect:
    """The top-most, then left-most place where a w-by-h widget fits."""
    w = min(w, columns)
    bottom = max((r.y + r.h for r in occupied), default=0)
    for y in range(bottom + 1):
        for x in range(columns - w + 1):
            candidate = Rect(x, y, w, h)
            if not any(candidate.overlaps(r) for r in occupied):
                return candidate
    return Rect(0, bottom, w, h)


def _touch(layout: DashboardLayout) -> None:
    layout.updated_at = utcnow()


async def create_widget(
    session: AsyncSession,
    *,
    actor: AuditActor,
    layout: DashboardLayout,
    type: str,
    title: str | None,
    position: dict[str, int] | None,
    config: dict[str, Any],
) -> DashboardWidget:
    widget_type = _type_or_raise(type, field="body.type")
    if len(layout.widgets) >= MAX_WIDGETS_PER_LAYOUT:
        raise Conflict(
            f"A dashboard holds at most {MAX_WIDGETS_PER_LAYOUT} widgets", code="limit_reached"
        )
    full_config = with_defaults(widget_type, config)
    validate_config(widget_type, full_config, field="body.config")
    source_id = await _check_source(session, widget_type, full_config, field="body.config")
    if position is None:
        size = widget_type.default_size
        spot = first_free_spot(
            [rect(w) for w in layout.widgets], w=size.w, h=size.h, columns=layout.columns
        )
        if spot.w < widget_type.min_size.w or spot.y + spot.h > MAX_ROWS:
            raise ValidationFailed("No room for this widget on the grid", field="body.position")
    else:
        spot = Rect(**position)
        validate_position(widget_type, **position, columns=layout.columns, field="body.position")
    # Dropped below everything, then moved to its spot the way the editor moves a widget:
    # what it lands on is pushed down, then everything floats up.
    items = _items(layout.widgets)
    dropped = grid.Item(0, spot.x, grid.bottom(items), spot.w, spot.h)
    arranged = grid.arrange([*items, dropped], [grid.Item(0, spot.x, spot.y, spot.w, spot.h)])
    final = next(item for item in arranged if item.i == 0)
    if grid.bottom(arranged) > MAX_ROWS:
        raise ValidationFailed(
            f"That would make the dashboard taller than {MAX_ROWS} rows", field="body.position"
        )
    widget = DashboardWidget(
        type=widget_type.name,
        title=title or widget_type.title,
        x=final.x,
        y=final.y,
        w=final.w,
        h=final.h,
        config=full_config,
        data_source_id=source_id,
    )
    _apply(layout, arranged, field="body.position")
    layout.widgets.append(widget)
    _touch(layout)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_WIDGET_CREATE,
        resource_type="dashboard_widget",
        resource_id=widget.id,
        details={
            "layout_id": layout.id,
            "type": widget.type,
            "position": {"x": final.x, "y": final.y, "w": final.w, "h": final.h},
        },
    )
    await session.commit()
    return widget


async def update_widget(
    session: AsyncSession,
    *,
    actor: AuditActor,
    widget: DashboardWidget,
    title: str | None,
    position: dict[str, int] | None,
    config: dict[str, Any] | None,
) -> DashboardWidget:
    widget_type = _type_or_raise(widget.type, field="body.type")
    layout = widget.layout
    changed: list[str] = []
    if config is not None:
        full_config = with_defaults(widget_type, config)
        validate_config(widget_type, full_config, field="body.config")
        source_id = await _check_source(session, widget_type, full_config, field="body.config")
        if full_config != widget.config:
            changed.append("config")
        widget.config, widget.data_source_id = full_config, source_id
    if position is not None:
        validate_position(widget_type, **position, columns=layout.columns, field="body.position")
        # A drag in the editor: what it lands on moves down, then everything floats up.
        arranged = grid.arrange(
            _items(layout.widgets),
            [grid.Item(widget.id, position["x"], position["y"], position["w"], position["h"])],
        )
        if _apply(layout, arranged, field="body.position"):
            changed.append("position")
    if title is not None and title != widget.title:
        widget.title = title or widget_type.title
        changed.append("title")
    if changed:
        widget.updated_at = utcnow()
        _touch(layout)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.DASHBOARD_WIDGET_UPDATE,
            resource_type="dashboard_widget",
            resource_id=widget.id,
            details={"layout_id": layout.id, "type": widget.type, "changed": changed},
        )
        await session.commit()
    return widget


async def delete_widget(
    session: AsyncSession, *, actor: AuditActor, widget: DashboardWidget
) -> None:
    layout = widget.layout
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_WIDGET_DELETE,
        resource_type="dashboard_widget",
        resource_id=widget.id,
        details={"layout_id": layout.id, "type": widget.type, "title": widget.title},
    )
    layout.widgets.remove(widget)
    # The others float up into the space it leaves, as in the editor.
    _apply(layout, grid.compact(_items(layout.widgets)), field="widget_id")
    _touch(layout)
    await session.commit()


async def save_positions(
    session: AsyncSession,
    *,
    actor: AuditActor,
    layout: DashboardLayout,
    items: Sequence[dict[str, int]],
) -> DashboardLayout:
    """Move and resize many widgets at once (what the editor sends after a drag).

    Every listed id must be a widget of this layout (404 otherwise); widgets left out keep
    their place. Each box must be on the grid and within its type's size limits (422, nothing
    changes). The whole arrangement is then compacted as the editor compacts it
    (``dashboards.layout``): overlaps pushed down in reading order, every widget floated up. An
    arrangement the editor made is already compact, so it is stored as sent.
    """
    by_id = {w.id: w for w in layout.widgets}
    seen: set[int] = set()
    final = {w.id: grid.Item(w.id, w.x, w.y, w.w, w.h) for w in layout.widgets}
    for index, item in enumerate(items):
        field = f"body.widgets.{index}"
        widget = by_id.get(item["id"])
        if widget is None:
            raise NotFound(f"Widget {item['id']} not found on this dashboard")
        if item["id"] in seen:
            raise ValidationFailed(f"Widget {item['id']} is listed twice", field=f"{field}.id")
        seen.add(item["id"])
        position = {k: item[k] for k in ("x", "y", "w", "h")}
        widget_type = _type_or_raise(widget.type, field=f"{field}.id")
        validate_position(widget_type, **position, columns=layout.columns, field=field)
        final[widget.id] = grid.Item(
            widget.id, position["x"], position["y"], position["w"], position["h"]
        )
    moved = _apply(layout, grid.arrange(list(final.values())), field="body.widgets")
    if moved:
        _touch(layout)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_LAYOUT_SAVE,
        resource_type="dashboard",
        resource_id=layout.id,
        details={"moved": moved, "listed": len(seen)},
    )
    await session.commit()
    return layout
