"""Credentials out of log lines: every line WakeDock writes passes through ``redact``.

Browsers cannot set headers on a WebSocket or an EventSource, so sockets and SSE streams carry
their token in the URL (``?token=``): a 15-minute access token, or a long-lived ``wdk_`` API
token. The server's access log writes every URL at INFO, so without this a log file (shipped to
a log service, readable by more people than the database) is a list of working credentials.

The invariant: no credential WakeDock knows the shape of reaches a log line, whichever logger
wrote it (Uvicorn's access and WebSocket lines, a library's message, an exception's text and
traceback), while the line keeps saying what happened (``GET /api/x?token=*** 200``). The
patterns are a net, not a guarantee for arbitrary secrets in free text:

- URL parameters named like a credential (``token``, ``access_token``, ``api_key``, ``secret``,
  ``password``, ``signature``, ``code`` …): the value becomes ``***``;
- ``Authorization``/``Bearer``/``Basic`` values, in headers or repr'd dicts;
- WakeDock's own opaque tokens (``wdk_…`` API, ``wdr_…`` refresh) and JWTs anywhere;
- the password in a URL's user-info (``postgresql://user:***@host``, ``redis://:***@host``).

Cost: ~1.5 µs for an access-log line without a credential (a few substring tests pick the
patterns worth running), a few µs more for one with a credential.
"""

from __future__ import annotations

import re

MASK = "***"

# A parameter whose name contains one of these words, or is one of the short names exactly.
_SECRET_WORDS = r"token|secret|passw|pwd|api[_-]?key|apikey|signature|credential|auth|session|jwt"
_SECRET_NAMES = r"key|sig|code|pass"
_PARAM = re.compile(
    r"(?P<head>[?&;](?:[\w.\-\[\]]*(?:" + _SECRET_WORDS + r")[\w.\-\[\]]*"
    r"|(?:" + _SECRET_NAMES + r"))=)(?P<value>[^&#\s\"'<>]+)",
    re.IGNORECASE,
)
# A header's value, as a log line or a repr'd dict / list of pairs shows it.
_HEADER = re.compile(
    r"(?P<head>\b(?:proxy-)?(?:authorization|x-api-key|x-auth-token|cookie)[\"']?\s*[:=,]\s*"
    r"\(?(?:b?[\"'])?(?:(?:bearer|basic|digest|token)\s+)?)(?P<value>[^\"'\s,)}\]]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\bbearer\s+)(?P<value>[\w.~+/=\-]{8,})", re.IGNORECASE)
_OPAQUE = re.compile(r"(?P<head>\bwd[kr]_)(?P<value>[\w\-]{8,})")
_JWT = re.compile(r"(?P<value>\beyJ[\w\-]+\.eyJ[\w\-]+\.[\w\-]*)")
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][\w+.\-]*://[^/\s:@]*:)(?P<value>[^@/\s]+)(?=@)")

# Each pattern with the lower-cased text that must occur for it to match: most lines have none,
# and a substring test is ~20x cheaper than a regex pass.
_PATTERNS = (
    (("://",), _USERINFO),
    (("authorization", "x-api-key", "x-auth-token", "cookie"), _HEADER),
    (("bearer",), _BEARER),
    (("=",), _PARAM),
    (("wdk_", "wdr_"), _OPAQUE),
    (("eyj",), _JWT),
)


def _mask(match: re.Match[str]) -> str:
    return (match.groupdict().get("head") or "") + MASK


def redact(text: str) -> str:
    """``text`` with every credential-shaped value replaced by ``***``."""
    lower = text.lower()
    for needles, pattern in _PATTERNS:
        if any(needle in lower for needle in needles):
            text = pattern.sub(_mask, text)
    return text
