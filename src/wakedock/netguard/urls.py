"""The one parser for target URLs given to outbound calls."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx


def http_target(url: str, *, schemes: tuple[str, ...] = ("http", "https")) -> tuple[str, int]:
    """The host and port of an absolute URL with one of ``schemes``; ``ValueError`` with a
    readable message otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)  # what the client will send to must parse there too (0177.0.0.1 does not)
    except (ValueError, httpx.InvalidURL):
        raise ValueError("the URL is not valid") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"the URL must be an absolute {' or '.join(schemes)} URL with a host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)
