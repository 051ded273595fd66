"""Personal widgets over the viewer's own notifications."""

from __future__ import annotations

from typing import Any

from wakedock.dashboards.widgets.base import JSON, Size, WidgetType, object_schema
from wakedock.notifications.schemas import NotificationType, Priority

TYPES = [t.value for t in NotificationType]
PRIORITIES = [p.value for p in Priority]


def _identity(config: JSON, raw: Any, kind: str) -> Any:
    return raw


def _feed_query(config: JSON, kind: str) -> JSON:
    return {
        "op": "feed",
        "limit": config.get("limit", 10),
        "unread_only": config.get("unread_only", False),
        "type": config.get("type"),
        "priority": config.get("priority"),
    }


def _unread_shape(config: JSON, raw: Any, kind: str) -> Any:
    data = {"unread": raw["unread"], "total": raw["total"]}
    if config.get("show_breakdown", True):
        data["by_priority"] = raw["by_priority"]
        data["by_type"] = raw["by_type"]
    return data


def _stats_query(config: JSON, kind: str) -> JSON:
    return {
        "op": "stats",
        "days": config.get("days", 7),
        "group_by": config.get("group_by", "type"),
    }


def _stats_shape(config: JSON, raw: Any, kind: str) -> Any:
    return {**raw, "group_by": config.get("group_by", "type"), "chart": config.get("chart", "bar")}


NOTIFICATION_FEED = WidgetType(
    name="notification_feed",
    title="Notifications",
    description="Your latest notifications, optionally unread only or of one type/priority",
    category="notifications",
    config_schema=object_schema(
        {
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "unread_only": {"type": "boolean"},
            "type": {"enum": [*TYPES, None]},
            "priority": {"enum": [*PRIORITIES, None]},
        }
    ),
    default_config={"limit": 10, "unread_only": False, "type": None, "priority": None},
    default_size=Size(4, 4),
    min_size=Size(2, 2),
    max_size=Size(12, 12),
    source_kinds=("notifications",),
    implicit_source="notifications",
    personal=True,
    build_query=_feed_query,
    shape=_identity,
)

UNREAD_COUNTER = WidgetType(
    name="unread_counter",
    title="Unread",
    description="How many of your notifications are unread, by priority and type",
    category="notifications",
    config_schema=object_schema({"show_breakdown": {"type": "boolean"}}),
    default_config={"show_breakdown": True},
    default_size=Size(2, 2),
    min_size=Size(1, 1),
    max_size=Size(6, 4),
    source_kinds=("notifications",),
    implicit_source="notifications",
    personal=True,
    build_query=lambda config, kind: {"op": "unread"},
    shape=_unread_shape,
)

NOTIFICATION_STATS = WidgetType(
    name="notification_stats",
    title="Notification statistics",
    description="Your notifications per day over the last days, by type or by priority",
    category="notifications",
    config_schema=object_schema(
        {
            "days": {"type": "integer", "minimum": 1, "maximum": 90},
            "group_by": {"enum": ["type", "priority"]},
            "chart": {"enum": ["bar", "line", "stacked"]},
        }
    ),
    default_config={"days": 7, "group_by": "type", "chart": "bar"},
    default_size=Size(6, 4),
    min_size=Size(3, 3),
    max_size=Size(12, 10),
    source_kinds=("notifications",),
    implicit_source="notifications",
    personal=True,
    build_query=_stats_query,
    shape=_stats_shape,
)

WIDGETS = [NOTIFICATION_FEED, UNREAD_COUNTER, NOTIFICATION_STATS]
