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
patterns worth running), a few µs more for one with a credential. Linear in the line's length
whatever it holds (a client chooses its URL): 64 KB of hostile text takes milliseconds, where
backtracking patterns took 35 s.
"""

from __future__ import annotations

import re

MASK = "***"

# Every pattern runs in linear time on any input (a log line can hold a client's URL): no
# nested or adjacent repeats that can backtrack (possessive ``*+``/``++``), and a match never
# starts inside a run it could have started at the head of (look-behinds rather than ``\b``).

# A URL parameter; masked when its name contains one of these words or is one of the short names.
_PARAM = re.compile(r"(?P<head>[?&;](?P<name>[\w.\-\[\]]++)=)(?P<value>[^&#\s\"'<>]++)")
_SECRET_PARAM = re.compile(
    r"token|secret|passw|pwd|api[_-]?key|apikey|signature|credential|auth|session|jwt"
    r"|^(?:key|sig|code|pass)$",
    re.IGNORECASE,
)
# A header's value, as a log line or a repr'd dict / list of pairs shows it.
_HEADER = re.compile(
    r"(?P<head>\b(?:proxy-)?(?:authorization|x-api-key|x-auth-token|cookie)[\"']?\s*+[:=,]\s*+"
    r"\(?(?:b?[\"'])?(?:(?:bearer|basic|digest|token)\s++)?)(?P<value>[^\"'\s,)}\]]++)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\bbearer\s++)(?P<value>[\w.~+/=\-]{8,}+)", re.IGNORECASE)
_OPAQUE = re.compile(r"(?P<head>(?<![\w\-])wd[kr]_)(?P<value>[\w\-]{8,}+)")
_JWT = re.compile(r"(?P<value>(?<![\w\-])eyJ[\w\-]*+\.eyJ[\w\-]*+\.[\w\-]*+)")
_USERINFO = re.compile(
    r"(?P<head>(?<![\w+.\-])[a-zA-Z][\w+.\-]*+://[^/\s:@]*+:)(?P<value>[^@/\s]++)(?=@)"
)


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
    if "name" in match.re.groupindex and not _SECRET_PARAM.search(match["name"]):
        return match[0]
    return (match.groupdict().get("head") or "") + MASK


def redact(text: str) -> str:
    """``text`` with every credential-shaped value replaced by ``***``."""
    lower = text.lower()
    for needles, pattern in _PATTERNS:
        if any(needle in lower for needle in needles):
            text = pattern.sub(_mask, text)
    return text
