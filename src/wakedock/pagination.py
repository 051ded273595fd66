"""Opaque cursors for keyset pagination (newest first).

Invariant: a cursor the client sends back is either one :func:`encode_cursor` could have made
or a 422 ``invalid cursor`` on ``cursor``; never a 500. A cursor is base64 of JSON the client
can forge (``{"id":"x"}``, ``{"id":null}``, ``{"id":1e400}``, an id beyond 64 bits all once
reached ``int()`` or the database), so it is validated like any other input.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, ValidationError

from wakedock.bounds import Id
from wakedock.errors import ValidationFailed

# The ``cursor`` query parameter of every list.
Cursor = Annotated[
    str | None, Query(max_length=512, description="next_cursor of the previous page")
]


class _IdCursor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Id


def encode_cursor(**values: Any) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid() -> ValidationFailed:
    return ValidationFailed("Invalid cursor", field="query.cursor")


def decode_cursor(cursor: str, *, keys: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """Decode a cursor made by :func:`encode_cursor`; a bad one is a 422 on ``cursor``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _invalid() from None
    if not isinstance(values, dict) or any(key not in values for key in keys):
        raise _invalid()
    return values


def decode_id_cursor(cursor: str | None) -> int | None:
    """The row id an ``encode_cursor(id=...)`` cursor holds (None without a cursor); anything
    but a positive 64-bit integer id is a 422 on ``cursor``."""
    if not cursor:
        return None
    try:
        return _IdCursor.model_validate(decode_cursor(cursor)).id
    except ValidationError:
        raise _invalid() from None
