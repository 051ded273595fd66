"""Host metrics from the built-in ``system`` source."""

from __future__ import annotations

from typing import Any

from wakedock.dashboards.widgets.base import JSON, Size, WidgetType, object_schema

METRICS = ["cpu", "memory", "disk", "network", "load", "uptime"]


def _shape(config: JSON, raw: Any, kind: str) -> Any:
    wanted = config.get("metrics") or METRICS[:4]
    data: dict[str, Any] = {}
    for metric in wanted:
        if metric == "uptime":
            data["uptime_seconds"] = raw["uptime_seconds"]
            data["boot_time"] = raw["boot_time"]
        elif metric == "cpu" and not config.get("per_cpu", False):
            data["cpu"] = {k: v for k, v in raw["cpu"].items() if k != "per_cpu"}
        else:
            data[metric] = raw[metric]
    return data


SYSTEM_METRICS = WidgetType(
    name="system_metrics",
    title="Host",
    description="This server's CPU, memory, disk, network, load and uptime",
    category="system",
    config_schema=object_schema(
        {
            "metrics": {
                "type": "array",
                "items": {"enum": METRICS},
                "minItems": 1,
                "uniqueItems": True,
            },
            "per_cpu": {"type": "boolean"},
        }
    ),
    default_config={"metrics": ["cpu", "memory", "disk", "network"], "per_cpu": False},
    default_size=Size(4, 3),
    min_size=Size(2, 2),
    max_size=Size(12, 8),
    source_kinds=("system",),
    implicit_source="system",
    build_query=lambda config, kind: {},
    shape=_shape,
)

WIDGETS = [SYSTEM_METRICS]
