"""HMAC-SHA256 signatures of a raw request body, checked in constant time.

GitHub sends ``X-Hub-Signature-256: sha256=<hex>``; a generic hook's sender puts the hex
digest, with or without that ``sha256=`` prefix, in the header the hook names. The digest is
computed over the bytes as received (never a re-encoding of the parsed JSON), and compared
with ``hmac.compare_digest``, so the time taken does not tell how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value a sender computes: ``sha256=`` and the hex digest."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` carries the HMAC-SHA256 of ``body`` under ``secret``."""
    if not header or not secret:
        return False
    given = header.strip()
    if given[: len(PREFIX)].lower() == PREFIX:
        given = given[len(PREFIX) :]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.lower().encode("ascii", "replace"))
