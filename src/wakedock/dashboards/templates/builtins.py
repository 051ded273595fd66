"""The built-in dashboard templates, as data (``service.ensure_builtins`` keeps the rows equal
to these at every start; their usage counts stay)."""

from __future__ import annotations

from typing import Any


def _w(type: str, title: str, x: int, y: int, w: int, h: int, **config: Any) -> dict[str, Any]:
    return {
        "type": type,
        "title": title,
        "position": {"x": x, "y": y, "w": w, "h": h},
        "config": config,
    }


def _stat(title: str, query: str, x: int, y: int, w: int, unit: str = "%") -> dict[str, Any]:
    steps = [
        {"value": 0, "color": "green"},
        {"value": 75, "color": "orange"},
        {"value": 90, "color": "red"},
    ]
    thresholds = steps if unit == "%" else []
    return _w(
        "single_stat",
        title,
        x,
        y,
        w,
        2,
        source="system",
        query=query,
        unit=unit,
        decimals=1,
        thresholds=thresholds,
    )


QUICK = [
    {"label": "Send a test notification", "action": "send_test_notification", "style": "primary"},
    {"label": "Mark all read", "action": "mark_all_read"},
    {"label": "Refresh", "action": "refresh_dashboard"},
]

BUILTIN_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "key": "operations-overview",
        "name": "Operations overview",
        "category": "operations",
        "description": "Host health at a glance, your unread notifications and their trend, "
        "the latest notifications and quick actions.",
        "widgets": [
            # 4 rows: at 3 its last row ("Network out") was clipped (issue 21).
            _w("system_metrics", "Host", 0, 0, 6, 4, metrics=["cpu", "memory", "disk", "network"]),
            _w("unread_counter", "Unread", 6, 0, 2, 2, show_breakdown=True),
            _w("quick_actions", "Quick actions", 8, 0, 4, 2, actions=QUICK),
            _w(
                "notification_stats",
                "Notifications by priority",
                6,
                2,
                6,
                4,
                days=7,
                group_by="priority",
                chart="stacked",
            ),
            _w(
                "notification_feed", "Latest notifications", 0, 4, 6, 4, limit=10, unread_only=False
            ),
            _stat("CPU", "cpu.percent", 0, 8, 3),
            _stat("Memory", "memory.percent", 3, 8, 3),
            _stat("Load (1 min)", "load.1m", 6, 6, 3, unit=""),
            _stat("Root disk", "disk.0.percent", 9, 6, 3),
        ],
    },
    {
        "key": "notifications",
        "name": "Notifications",
        "category": "notifications",
        "description": "Everything about your notifications: unread count, the feed, and "
        "counts per day by type and by priority.",
        "widgets": [
            _w("unread_counter", "Unread", 0, 0, 3, 2, show_breakdown=True),
            _w("quick_actions", "Actions", 3, 0, 3, 2, actions=QUICK[:2]),
            _w(
                "text",
                "About",
                6,
                0,
                6,
                2,
                markdown=(
                    "**Notifications dashboard.** The feed shows your newest notifications; "
                    "the charts count them per day. Mark them read from the feed or with *Mark all "
                    "read*."
                ),
            ),
            _w("notification_feed", "Feed", 0, 2, 6, 6, limit=20, unread_only=False),
            _w(
                "notification_stats",
                "Per day by type",
                6,
                2,
                6,
                3,
                days=14,
                group_by="type",
                chart="bar",
            ),
            _w(
                "notification_stats",
                "Per day by priority",
                6,
                5,
                6,
                3,
                days=14,
                group_by="priority",
                chart="line",
            ),
        ],
    },
    {
        "key": "host-monitoring",
        "name": "Host monitoring",
        "category": "system",
        "description": "The WakeDock server's CPU (per core), memory, disks, network, load "
        "and uptime.",
        "widgets": [
            _stat("CPU", "cpu.percent", 0, 0, 3),
            _stat("Memory", "memory.percent", 3, 0, 3),
            _stat("Root disk", "disk.0.percent", 6, 0, 3),
            _stat("Uptime", "uptime_seconds", 9, 0, 3, unit="s"),
            _w("system_metrics", "CPU", 0, 2, 6, 4, metrics=["cpu"], per_cpu=True),
            _w("system_metrics", "Memory and disks", 6, 2, 6, 4, metrics=["memory", "disk"]),
            _w("system_metrics", "Network", 0, 6, 6, 3, metrics=["network"]),
            _w("system_metrics", "Load and uptime", 6, 6, 6, 3, metrics=["load", "uptime"]),
        ],
    },
)
