"""The catalogue of widget types (``GET /api/dashboards/widget-types``)."""

from __future__ import annotations

from wakedock.dashboards.widgets import charts, content, notifications, system
from wakedock.dashboards.widgets.base import ConfigError, Size, WidgetType

WIDGET_TYPES: dict[str, WidgetType] = {
    widget.name: widget
    for module in (notifications, system, charts, content)
    for widget in module.WIDGETS
}


def get_type(name: str) -> WidgetType | None:
    return WIDGET_TYPES.get(name)


__all__ = ["WIDGET_TYPES", "ConfigError", "Size", "WidgetType", "get_type"]
