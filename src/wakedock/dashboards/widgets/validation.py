"""Validate widget configs against their type's JSON Schema (and extra checks), and positions
against the grid and the type's size limits."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from wakedock.dashboards.widgets.base import ConfigError, WidgetType
from wakedock.errors import ValidationFailed

MAX_CONFIG_BYTES = 32 * 1024
MAX_ROWS = 1000  # y + h stays below this: a bound on how tall a dashboard may grow


@lru_cache(maxsize=64)
def _validator(type_name: str, schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validator_for(widget_type: WidgetType) -> Draft202012Validator:
    return _validator(widget_type.name, json.dumps(widget_type.config_schema, sort_keys=True))


def with_defaults(widget_type: WidgetType, config: dict[str, Any] | None) -> dict[str, Any]:
    """The type's default config with the given keys on top (one level deep)."""
    return {**widget_type.default_config, **(config or {})}


def validate_config(widget_type: WidgetType, config: dict[str, Any], *, field: str) -> None:
    """422 (with every problem in ``details``) when ``config`` does not fit its type."""
    if len(json.dumps(config)) > MAX_CONFIG_BYTES:
        raise ValidationFailed(f"config is larger than {MAX_CONFIG_BYTES} bytes", field=field)
    errors = sorted(validator_for(widget_type).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        details = [
            {
                "loc": [*field.split("."), *[str(p) for p in error.path]],
                "msg": error.message,
                "type": f"config.{error.validator}",
            }
            for error in errors[:20]
        ]
        first = errors[0]
        where = ".".join(str(p) for p in first.path)
        message = f"Invalid {widget_type.name} config" + (f" at {where}" if where else "")
        raise ValidationFailed(f"{message}: {first.message}", details=details)
    if widget_type.check is not None:
        try:
            widget_type.check(config)
        except ConfigError as exc:
            path = exc.path.removeprefix("config.")
            raise ValidationFailed(exc.message, field=f"{field}.{path}") from None


def validate_position(
    widget_type: WidgetType, *, x: int, y: int, w: int, h: int, columns: int, field: str
) -> None:
    """Non-negative, inside the columns, sized within the type's minimum and maximum."""
    if x < 0 or y < 0:
        raise ValidationFailed("x and y must be >= 0", field=f"{field}.{'x' if x < 0 else 'y'}")
    lo, hi = widget_type.min_size, widget_type.max_size
    max_w = min(hi.w, columns)
    if not lo.w <= w <= max_w:
        raise ValidationFailed(
            f"w must be between {lo.w} and {max_w} for {widget_type.name}", field=f"{field}.w"
        )
    if not lo.h <= h <= hi.h:
        raise ValidationFailed(
            f"h must be between {lo.h} and {hi.h} for {widget_type.name}", field=f"{field}.h"
        )
    if x + w > columns:
        raise ValidationFailed(
            f"the widget does not fit the grid: x + w = {x + w} > {columns} columns",
            field=f"{field}.x",
        )
    if y + h > MAX_ROWS:
        raise ValidationFailed(f"y + h must stay within {MAX_ROWS} rows", field=f"{field}.y")
