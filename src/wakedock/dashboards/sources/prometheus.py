"""The ``prometheus`` source: instant and range PromQL queries made by the server.

Queries: ``{"type": "instant", "query": "up"}`` or
``{"type": "range", "query": "...", "range_seconds": 3600, "step_seconds": 60}``.
Results are normalised to ``{"result_type", "series": [{"labels", "value"|"points"}]}``;
NaN and infinities become ``null`` (JSON has no such numbers).
"""

from __future__ import annotations

import math
import time
from typing import Any

from wakedock.dashboards.sources import outbound
from wakedock.dashboards.sources.base import FetchContext, SourceError
from wakedock.settings import Settings

kind = "prometheus"
personal = False
secret_keys: tuple[str, ...] = ("headers",)
config_schema: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {
            "type": "string",
            "maxLength": 2048,
            "description": "Base URL of the Prometheus server, e.g. http://prometheus:9090",
        },
        "timeout_seconds": {"type": "number", "minimum": 0.5, "maximum": 60},
        "headers": {
            "type": "object",
            "maxProperties": 10,
            "additionalProperties": {"type": "string", "maxLength": 4096},
            "description": "Extra request headers (e.g. Authorization); secret, never shown",
        },
    },
    "required": ["url"],
    "additionalProperties": False,
}
MAX_SERIES = 200
MAX_POINTS = 1000  # per series: the step grows to stay under it


async def check_config(config: dict[str, Any], settings: Settings) -> None:
    await outbound.check_target(str(config["url"]), settings)


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Prometheus ``data`` → our series shape (bounded in size)."""
    result_type = data.get("resultType")
    result = data.get("result")
    series: list[dict[str, Any]] = []
    if result_type == "scalar" and isinstance(result, list) and len(result) == 2:
        series.append({"labels": {}, "value": _number(result[1]), "timestamp": result[0]})
    elif result_type == "vector" and isinstance(result, list):
        for item in result[:MAX_SERIES]:
            ts, raw = item.get("value", [None, None])
            series.append(
                {"labels": item.get("metric", {}), "value": _number(raw), "timestamp": ts}
            )
    elif result_type == "matrix" and isinstance(result, list):
        for item in result[:MAX_SERIES]:
            points = [[ts, _number(raw)] for ts, raw in item.get("values", [])]
            series.append({"labels": item.get("metric", {}), "points": points})
    else:
        raise SourceError("unexpected_result", f"Unsupported Prometheus result {result_type!r}")
    truncated = isinstance(result, list) and len(result) > MAX_SERIES
    return {"result_type": result_type, "series": series, "truncated": truncated}


def _range_params(query: dict[str, Any]) -> dict[str, Any]:
    span = int(query.get("range_seconds", 3600))
    step = max(int(query.get("step_seconds", 60)), math.ceil(span / MAX_POINTS), 1)
    end = math.floor(time.time() / step) * step  # aligned: equal queries give equal answers
    return {"query": query["query"], "start": end - span, "end": end, "step": step}


async def fetch(config: dict[str, Any], query: dict[str, Any], ctx: FetchContext) -> Any:
    base = str(config["url"]).rstrip("/")
    if query.get("type") == "range":
        url, params = f"{base}/api/v1/query_range", _range_params(query)
    else:
        url, params = f"{base}/api/v1/query", {"query": query["query"]}
    answer = await outbound.get_json(
        url,
        settings=ctx.settings,
        params=params,
        headers=dict(config.get("headers") or {}),
        timeout=float(config.get("timeout_seconds", 10)),
    )
    body = answer.document
    if not isinstance(body, dict):
        raise SourceError(
            "upstream_status" if answer.status >= 400 else "invalid_json",
            f"Prometheus answered HTTP {answer.status} without a JSON body",
            {"status": answer.status},
        )
    if body.get("status") != "success":
        raise SourceError(
            "query_failed",
            str(body.get("error") or f"Prometheus answered HTTP {answer.status}"),
            {"status": answer.status, "error_type": body.get("errorType")},
        )
    shaped = normalise(body.get("data") or {})
    if query.get("type") == "range":
        shaped["step_seconds"] = params["step"]
    if body.get("warnings"):
        shaped["warnings"] = [str(w) for w in body["warnings"]][:10]
    return shaped
