"""The bounds every value a request carries is held to, as annotated types shared by all routers.

Invariant: a value that reaches a service or the database is within what every backend can
store and every encoder can write. Integers fit a signed 64-bit column (an id beyond 2^63-1
made asyncpg raise and SQLite overflow: 500s on 47 routes); date-times are ISO 8601 strings
whose instant lies in years 1..9999 in UTC (``9999-12-31T23:59:59-23:59`` overflowed the UTC
conversion of the drivers); booleans are booleans and numbers are numbers (``"is_active": 0``,
``"yes"``, ``"columns": "12"`` and ``until=0.5`` were accepted by pydantic's lax mode);
free-form JSON (``data``, ``variables``, ``config``) is at most ``data_max_depth`` deep and
``data_max_bytes`` long once encoded, with finite floats and 64-bit integers (a 300-level
``data`` was committed, then every listing of its recipient failed to serialise it).

Why per-field types and not ``ConfigDict(strict=True)``: FastAPI validates a parsed JSON body in
pydantic's *Python* mode, where strict mode also refuses enum values given as strings and
ISO date-time strings. So the strict parts are the types below (``Strict()`` on ints, floats,
booleans and on the date-time the ISO parser produced), and ``tests/system/test_input_bounds.py``
walks every route's request body and fails on a lax or unbounded one.

Path and query parameters arrive as text, so they take the non-strict ``*Param`` forms with
the same bounds (declared in the OpenAPI as ``minimum``/``maximum``).

The limits of free-form JSON are settings; the app's request guard
(``system/request_guard.py``) puts the app's :class:`Limits` in :data:`LIMITS` for each
request, so validators read the limits of the app that serves it.
"""

from __future__ import annotations

import math
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator, Strict, TypeAdapter, ValidationError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Limits:
    """The request limits of one app (from its settings); the defaults are the settings'."""

    max_request_bytes: int = 1024 * 1024
    data_max_depth: int = 32
    data_max_bytes: int = 64 * 1024


DEFAULT_LIMITS = Limits()
LIMITS: ContextVar[Limits] = ContextVar("wakedock_limits", default=DEFAULT_LIMITS)

# ---------------------------------------------------------------- integers and booleans

# In a JSON body: an integer (never a string, float or boolean) within the bounds.
Id = Annotated[int, Strict(), Ge(1), Le(INT64_MAX)]
Int64 = Annotated[int, Strict(), Ge(INT64_MIN), Le(INT64_MAX)]
StrictBool = Annotated[bool, Strict()]
StrictFloat = Annotated[float, Strict()]

# In a path or query string: text parsed as an integer, with the same bounds.
IdParam = Annotated[int, Ge(1), Le(INT64_MAX)]
Int64Param = Annotated[int, Ge(INT64_MIN), Le(INT64_MAX)]


# ---------------------------------------------------------------- date-times

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_LAX_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 date-time string as a datetime: aware ones in UTC, the instant in years
    1..9999. Anything else (a number, a bare date, a year 10000 instant) is a ValueError."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            parsed = _LAX_DATETIME.validate_python(value)
        except ValidationError:
            raise ValueError("not a valid ISO 8601 date-time") from None
    else:
        raise ValueError("expected an ISO 8601 date-time string such as 2030-01-31T12:00:00Z")
    if parsed.tzinfo is None:
        return parsed
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "date-time out of range: the instant must fall in years 1-9999 in UTC"
        ) from None


# Body and query alike: the ISO parser first, then a strict datetime (never a number).
DateTime = Annotated[datetime, Strict(), BeforeValidator(parse_datetime)]


# ---------------------------------------------------------------- free-form JSON


def json_depth_error(value: object, max_depth: int) -> str | None:
    """Why ``value`` (parsed JSON) is out of bounds, or None: nesting deeper than
    ``max_depth``, a non-finite float or an integer beyond 64 bits. Iterative: a hostile
    depth cannot exhaust the stack."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels"
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                return "holds an integer beyond 64 bits"
        elif isinstance(item, float) and not math.isfinite(item):
            return "holds a non-finite number"
    return None


def check_json_object(value: dict[str, Any]) -> dict[str, Any]:
    """Hold free-form JSON to the request's limits (depth, encoded size, number ranges)."""
    limits = LIMITS.get()
    error = json_depth_error(value, limits.data_max_depth)
    if error is not None:
        raise ValueError(error)
    size = len(orjson.dumps(value))
    if size > limits.data_max_bytes:
        raise ValueError(f"is {size} bytes encoded; the limit is {limits.data_max_bytes}")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_object)]


def known_within_bounds(value: dict[str, Any], depth: int) -> bool:
    """Whether ``check_json_object`` would accept ``value``, for a caller that built it itself
    and knows it is ``depth`` deep with only 64-bit integers and no float: then only the
    depth limit and the encoded size need comparing (no walk of the value, which costs a
    Gotify or ntfy publish ~1% of its CPU)."""
    limits = LIMITS.get()
    return depth <= limits.data_max_depth and len(orjson.dumps(value)) <= limits.data_max_bytes


# ---------------------------------------------------------------- the OpenAPI document


def exact_integer_bounds(node: Any) -> None:
    """Give every integer schema of an OpenAPI document integer bounds, in place.

    FastAPI's OpenAPI model types ``minimum``/``maximum`` as floats, so component schemas
    came out as ``maximum: 9.223372036854776e+18`` (2^63, one past the real maximum) and
    ``48.0``: clients and fuzzers generated 2^63 as valid. Integral floats become ints and
    the 64-bit edges are restored.
    """
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key, edge in (("minimum", INT64_MIN), ("maximum", INT64_MAX)):
                value = node.get(key)
                if isinstance(value, float) and value.is_integer():
                    exact = int(value)
                    node[key] = edge if abs(exact) >= 2**63 else exact
        for child in node.values():
            exact_integer_bounds(child)
    elif isinstance(node, list):
        for child in node:
            exact_integer_bounds(child)
