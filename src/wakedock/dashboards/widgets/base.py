"""What a widget type is: its config schema, sizes, data source and how it shapes data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# Builds the data-source query of a widget from its config and the source's kind.
QueryBuilder = Callable[[JSON, str], JSON]
# Turns what the source returned into the widget's data (raises SourceError when it can't).
Shaper = Callable[[JSON, Any, str], Any]
# Data computed locally from the config alone (text, quick actions).
LocalRenderer = Callable[[JSON], Any]
# Checks beyond the JSON Schema; raises ConfigError.
ConfigCheck = Callable[[JSON], None]


class ConfigError(ValueError):
    """A config that passes its schema but still cannot work (e.g. a bad selector)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Size:
    w: int
    h: int

    def as_dict(self) -> dict[str, int]:
        return {"w": self.w, "h": self.h}


@dataclass(frozen=True, slots=True)
class WidgetType:
    name: str
    title: str
    description: str
    category: str
    config_schema: JSON
    default_size: Size
    min_size: Size
    max_size: Size
    default_config: JSON = field(default_factory=dict)
    # Kinds of data source the widget may read; empty for widgets computed locally.
    source_kinds: tuple[str, ...] = ()
    # The built-in source used when the config names none ("system", "notifications").
    implicit_source: str | None = None
    # Personal widgets show the viewer's own data: never part of a shared dashboard.
    personal: bool = False
    build_query: QueryBuilder | None = None
    shape: Shaper | None = None
    render: LocalRenderer | None = None
    check: ConfigCheck | None = None

    @property
    def needs_source(self) -> bool:
        return bool(self.source_kinds)

    def describe(self) -> JSON:
        return {
            "type": self.name,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "config_schema": self.config_schema,
            "default_config": self.default_config,
            "default_size": self.default_size.as_dict(),
            "min_size": self.min_size.as_dict(),
            "max_size": self.max_size.as_dict(),
            "source_kinds": list(self.source_kinds),
            "personal": self.personal,
        }


def object_schema(properties: JSON, *, required: tuple[str, ...] = (), **extra: Any) -> JSON:
    """A closed JSON Schema object (unknown keys are refused)."""
    schema: JSON = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


SOURCE_UID = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$",
    "description": "uid of a data source (GET /api/dashboards/data-sources)",
}
THRESHOLDS = {
    "type": "array",
    "maxItems": 10,
    "description": "Colour steps: the last step whose value is <= the current value wins",
    "items": {
        "type": "object",
        "properties": {
            "value": {"type": "number"},
            "color": {"type": "string", "pattern": "^[#a-zA-Z0-9(),. %-]{1,32}$"},
        },
        "required": ["value", "color"],
        "additionalProperties": False,
    },
}
UNIT = {"type": "string", "maxLength": 16}
