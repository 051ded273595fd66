"""Dashboards' stored rows as the API's shapes: a layout (with the reader's default flag), its
summary, a widget. Used by the dashboards' routers and their templates' router alike."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.dashboards import preferences
from wakedock.dashboards.models import DashboardLayout, DashboardWidget
from wakedock.dashboards.schemas import Grid, LayoutOut, Position, WidgetOut


def widget_out(widget: DashboardWidget) -> WidgetOut:
    return WidgetOut(
        id=widget.id,
        layout_id=widget.layout_id,
        type=widget.type,
        title=widget.title,
        position=Position(x=widget.x, y=widget.y, w=widget.w, h=widget.h),
        config=widget.config,
    )


def summary_fields(layout: DashboardLayout, default_id: int | None) -> dict[str, object]:
    return {
        "id": layout.id,
        "name": layout.name,
        "description": layout.description,
        "grid": Grid(columns=layout.columns, row_height=layout.row_height, gap=layout.gap),
        "is_default": layout.id == default_id,
        "shared": layout.share_token_hash is not None,
        "shared_at": layout.shared_at,
        "widget_count": len(layout.widgets),
        "created_at": layout.created_at,
        "updated_at": layout.updated_at,
    }


async def layout_out(db: AsyncSession, layout: DashboardLayout) -> LayoutOut:
    default_id = await preferences.default_layout_id(db, user_id=layout.user_id)
    return LayoutOut(
        **summary_fields(layout, default_id),
        widgets=[widget_out(w) for w in layout.widgets],
    )
