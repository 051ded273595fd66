"""Widgets over a chosen data source: single_stat, metric_chart, prometheus_query, http_json."""

from __future__ import annotations

import math
from typing import Any

from wakedock.dashboards.sources.base import SourceError
from wakedock.dashboards.sources.http_json import compile_selector, select
from wakedock.dashboards.widgets.base import (
    JSON,
    SOURCE_UID,
    THRESHOLDS,
    UNIT,
    ConfigError,
    Size,
    WidgetType,
    object_schema,
)

PROMQL = {"type": "string", "minLength": 1, "maxLength": 2000}
SELECTOR = {"type": "string", "minLength": 1, "maxLength": 500, "description": "JSONPath"}
RANGE = {"type": "integer", "minimum": 60, "maximum": 90 * 86400}
STEP = {"type": "integer", "minimum": 1, "maximum": 86400}
MAX_POINTS = 1000


def _check_selector(path: str, selector: str) -> None:
    try:
        compile_selector(selector)
    except ValueError as exc:
        raise ConfigError(path, str(exc)) from None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _dotted(document: Any, path: str) -> Any:
    """``memory.percent``, ``disk.0.free``, ``load.1m``: keys and list indexes."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise SourceError("no_data", f"Nothing at {path!r} in the source's answer")
    return current


def _color(value: float | None, thresholds: list[JSON]) -> str | None:
    color = None
    if value is None:
        return None
    for step in sorted(thresholds, key=lambda s: float(s["value"])):
        if value >= float(step["value"]):
            color = str(step["color"])
    return color


# ---------------------------------------------------------------- single_stat


def _stat_query(config: JSON, kind: str) -> JSON:
    if kind == "prometheus":
        return {"type": "instant", "query": config["query"]}
    return {}  # system and http_json: one shared document, selected locally


def _stat_shape(config: JSON, raw: Any, kind: str) -> Any:
    query = str(config["query"])
    if kind == "prometheus":
        series = raw["series"]
        if not series:
            raise SourceError("no_data", "The query returned no series")
        value = series[0]["value"]
    elif kind == "http_json":
        matches = select(raw, query)
        if not matches:
            raise SourceError("no_data", f"The selector {query!r} matched nothing")
        value = matches[0]
    else:
        value = _dotted(raw, query)
    number = _number(value)
    if number is None and value is not None and not isinstance(value, str):
        raise SourceError("not_a_number", "The selected value is not a number or a string")
    decimals = config.get("decimals")
    shown = round(number, decimals) if number is not None and decimals is not None else number
    return {
        "value": shown if number is not None else value,
        "unit": config.get("unit", ""),
        "color": _color(number, config.get("thresholds", [])),
    }


SINGLE_STAT = WidgetType(
    name="single_stat",
    title="Stat",
    description=(
        "One value: a PromQL instant query (prometheus), a JSONPath selector (http_json) or a "
        "dotted path such as memory.percent (system), with unit and colour thresholds"
    ),
    category="charts",
    config_schema=object_schema(
        {
            "source": SOURCE_UID,
            "query": {"type": "string", "minLength": 1, "maxLength": 2000},
            "unit": UNIT,
            "decimals": {"type": "integer", "minimum": 0, "maximum": 6},
            "thresholds": THRESHOLDS,
        },
        required=("source", "query"),
    ),
    default_config={"unit": "", "decimals": 1, "thresholds": []},
    default_size=Size(2, 2),
    min_size=Size(1, 1),
    max_size=Size(6, 4),
    source_kinds=("prometheus", "http_json", "system"),
    build_query=_stat_query,
    shape=_stat_shape,
)

# ---------------------------------------------------------------- metric_chart


def _chart_query(config: JSON, kind: str) -> JSON:
    if kind == "prometheus":
        return {
            "type": "range",
            "query": config["query"],
            "range_seconds": config.get("range_seconds", 3600),
            "step_seconds": config.get("step_seconds", 60),
        }
    return {}


def _points(values: list[Any], config: JSON) -> list[list[Any]]:
    x_key, y_key = config.get("x_key", "t"), config.get("y_key", "v")
    points: list[list[Any]] = []
    for index, item in enumerate(values[:MAX_POINTS]):
        if isinstance(item, dict):
            points.append([item.get(x_key), _number(item.get(y_key))])
        elif isinstance(item, list | tuple) and len(item) == 2:
            points.append([item[0], _number(item[1])])
        else:
            points.append([index, _number(item)])
    return points


def _chart_shape(config: JSON, raw: Any, kind: str) -> Any:
    chart = {"chart": config.get("chart", "line"), "unit": config.get("unit", "")}
    if kind == "prometheus":
        series = [
            {
                "labels": s["labels"],
                "name": _series_name(s["labels"], config),
                "points": s["points"],
            }
            for s in raw["series"]
        ]
        return {**chart, "series": series, "step_seconds": raw.get("step_seconds")}
    matches = select(raw, str(config["query"]))
    values = matches[0] if len(matches) == 1 and isinstance(matches[0], list) else matches
    if not values:
        raise SourceError("no_data", "The selector matched nothing")
    return {
        **chart,
        "series": [
            {
                "labels": {},
                "name": config.get("legend") or config["query"],
                "points": _points(values, config),
            }
        ],
    }


def _series_name(labels: dict[str, str], config: JSON) -> str:
    legend = config.get("legend")
    if legend:
        try:
            return str(legend).format_map(_Missing(labels))
        except (ValueError, IndexError):
            return str(legend)
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{labels.get('__name__', '')}{{{inner}}}" if inner else labels.get("__name__", "value")


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


METRIC_CHART = WidgetType(
    name="metric_chart",
    title="Chart",
    description=(
        "A time series: a PromQL range query (prometheus) or a JSONPath selector picking a list "
        "of numbers, [t, v] pairs or objects (http_json)"
    ),
    category="charts",
    config_schema=object_schema(
        {
            "source": SOURCE_UID,
            "query": {"type": "string", "minLength": 1, "maxLength": 2000},
            "range_seconds": RANGE,
            "step_seconds": STEP,
            "chart": {"enum": ["line", "area", "bar"]},
            "unit": UNIT,
            "legend": {"type": "string", "maxLength": 200, "description": "e.g. {instance}"},
            "x_key": {"type": "string", "maxLength": 64},
            "y_key": {"type": "string", "maxLength": 64},
        },
        required=("source", "query"),
    ),
    default_config={"range_seconds": 3600, "step_seconds": 60, "chart": "line", "unit": ""},
    default_size=Size(6, 4),
    min_size=Size(3, 2),
    max_size=Size(12, 12),
    source_kinds=("prometheus", "http_json"),
    build_query=_chart_query,
    shape=_chart_shape,
)

# ---------------------------------------------------------------- prometheus_query


def _prom_query(config: JSON, kind: str) -> JSON:
    if config.get("mode", "instant") == "range":
        return _chart_query(config, kind)
    return {"type": "instant", "query": config["query"]}


def _prom_shape(config: JSON, raw: Any, kind: str) -> Any:
    series = [{**s, "name": _series_name(s["labels"], config)} for s in raw["series"]]
    return {
        **raw,
        "series": series,
        "mode": config.get("mode", "instant"),
        "display": config.get("display", "table"),
    }


PROMETHEUS_QUERY = WidgetType(
    name="prometheus_query",
    title="PromQL",
    description="Any PromQL query, instant (a table of series) or over a range (a graph)",
    category="charts",
    config_schema=object_schema(
        {
            "source": SOURCE_UID,
            "query": PROMQL,
            "mode": {"enum": ["instant", "range"]},
            "range_seconds": RANGE,
            "step_seconds": STEP,
            "display": {"enum": ["table", "graph", "stat"]},
            "legend": {"type": "string", "maxLength": 200},
        },
        required=("source", "query"),
    ),
    default_config={
        "mode": "instant",
        "range_seconds": 3600,
        "step_seconds": 60,
        "display": "table",
    },
    default_size=Size(6, 4),
    min_size=Size(2, 2),
    max_size=Size(12, 12),
    source_kinds=("prometheus",),
    build_query=_prom_query,
    shape=_prom_shape,
)

# ---------------------------------------------------------------- http_json


def _json_shape(config: JSON, raw: Any, kind: str) -> Any:
    data: JSON = {}
    if config.get("selector"):
        matches = select(raw, str(config["selector"]))
        data["value"] = matches[0] if len(matches) == 1 else matches
    fields = []
    for field in config.get("fields", []):
        matches = select(raw, str(field["selector"]))
        fields.append(
            {
                "label": field["label"],
                "value": (matches[0] if len(matches) == 1 else matches) if matches else None,
                "unit": field.get("unit", ""),
            }
        )
    if "fields" in config:
        data["fields"] = fields
    return data


def _json_check(config: JSON) -> None:
    if "selector" in config:
        _check_selector("config.selector", str(config["selector"]))
    for index, field in enumerate(config.get("fields", [])):
        _check_selector(f"config.fields.{index}.selector", str(field["selector"]))


HTTP_JSON = WidgetType(
    name="http_json",
    title="JSON API",
    description="Values picked with JSONPath selectors from a JSON document an http_json "
    "source fetches (like a custom API widget)",
    category="charts",
    config_schema=object_schema(
        {
            "source": SOURCE_UID,
            "selector": SELECTOR,
            "fields": {
                "type": "array",
                "minItems": 1,
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string", "minLength": 1, "maxLength": 100},
                        "selector": SELECTOR,
                        "unit": UNIT,
                    },
                    "required": ["label", "selector"],
                    "additionalProperties": False,
                },
            },
        },
        required=("source",),
        anyOf=[{"required": ["selector"]}, {"required": ["fields"]}],
    ),
    default_size=Size(3, 2),
    min_size=Size(2, 1),
    max_size=Size(12, 8),
    source_kinds=("http_json",),
    shape=_json_shape,
    build_query=lambda config, kind: {},
    check=_json_check,
)

WIDGETS = [SINGLE_STAT, METRIC_CHART, PROMETHEUS_QUERY, HTTP_JSON]
