"""Opaque cursors for keyset pagination (newest first)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from wakedock.errors import ValidationFailed


def encode_cursor(**values: Any) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, keys: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """Decode a cursor made by :func:`encode_cursor`; a bad one is a 422 on ``cursor``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("Invalid cursor", field="query.cursor") from None
    if not isinstance(values, dict) or any(key not in values for key in keys):
        raise ValidationFailed("Invalid cursor", field="query.cursor")
    return values
