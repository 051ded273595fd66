"""``redact``: credentials out of log lines, the rest of the line kept (a table of cases)."""

from __future__ import annotations

import logging
import sys
import time

import pytest

from wakedock.log import JsonFormatter, TextFormatter
from wakedock.redact import redact

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI3Iiwic2lkIjoieCJ9.c2lnbmF0dXJlX2hlcmU"
API = "wdk_Zx0-Q1w2e3r4t5y6u7i8o9p0_asdfghjkl"

CASES = [
    # Uvicorn's access and WebSocket lines: the parameter stays, its value goes.
    (
        f'127.0.0.1:5000 - "GET /api/notifications/stream?token={JWT} HTTP/1.1" 200',
        '127.0.0.1:5000 - "GET /api/notifications/stream?token=*** HTTP/1.1" 200',
    ),
    (
        f'127.0.0.1:5000 - "WebSocket /ws/notifications/3?since=4&token={API}" [accepted]',
        '127.0.0.1:5000 - "WebSocket /ws/notifications/3?since=4&token=***" [accepted]',
    ),
    (
        "GET /x?access_token=a1&refresh_token=b2&api_key=c3&apikey=d4&client_secret=e5&page=2",
        "GET /x?access_token=***&refresh_token=***&api_key=***&apikey=***&client_secret=***&page=2",
    ),
    (
        "https://h.example/p?X-Amz-Signature=abc&sig=1&code=2&key=3&password=4&sort=name",
        "https://h.example/p?X-Amz-Signature=***&sig=***&code=***&key=***&password=***&sort=name",
    ),
    # Ordinary parameters are left alone.
    (
        '"GET /api/notifications?cursor=eyJpZCI6IDd9&limit=50&unread=true HTTP/1.1" 200',
        '"GET /api/notifications?cursor=eyJpZCI6IDd9&limit=50&unread=true HTTP/1.1" 200',
    ),
    # Authorization values: as a header line, a repr'd dict, a list of raw pairs.
    ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***"),
    (
        "{'authorization': 'Basic dXNlcjpwYXNz', 'x': 'y'}",
        "{'authorization': 'Basic ***', 'x': 'y'}",
    ),
    ("[(b'authorization', b'Bearer zzzzzzzzzz')]", "[(b'authorization', b'Bearer ***')]"),
    ('{"X-Api-Key": "k-123456"}', '{"X-Api-Key": "***"}'),
    ("sent with bearer 0123456789abcdef", "sent with bearer ***"),
    # WakeDock's tokens and JWTs anywhere in free text.
    (f"token {API} was used", "token wdk_*** was used"),
    ("refresh wdr_abcdefghijklmnop rotated", "refresh wdr_*** rotated"),
    (f"claims of {JWT}: expired", "claims of ***: expired"),
    # Passwords in URLs' user-info.
    (
        "postgresql+asyncpg://wakedock:s3cr3t@db:5432/wd and redis://:hunter2@cache:6379/0",
        "postgresql+asyncpg://wakedock:***@db:5432/wd and redis://:***@cache:6379/0",
    ),
    # Text that only looks a little like a credential stays as it is.
    ("basic authentication failed; token expired", "basic authentication failed; token expired"),
    ("delivery 12 failed: wdk_ prefix missing", "delivery 12 failed: wdk_ prefix missing"),
    ("https://example.com:8443/path", "https://example.com:8443/path"),
]


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    try:
        raise RuntimeError(f"upstream refused {JWT}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_both_formats_redact_the_message_its_fields_and_the_traceback(
    formatter: logging.Formatter,
) -> None:
    line = formatter.format(
        _record("GET %s", f"/ws/notifications/1?token={API}", url=f"/x?token={JWT}")
    )
    assert API not in line
    assert JWT not in line
    assert "token=***" in line
    assert "upstream refused ***" in line


N = 64_000
TAIL = " = :// authorization bearer wdk_ eyJ @"
HOSTILE = {
    "param names full of secret words": "?" + "token" * (N // 5) + TAIL,
    "a JWT prefix after every dash": "-eyJ" * (N // 4) + TAIL,
    "JWT-like chains": "-eyJa.eyJb" * (N // 10) + TAIL,
    "a dotted scheme-like run": "a." * (N // 2) + TAIL,
    "a URL with a long user-info and no @": "a://" + "b" * N + ":" + "c" * N + TAIL,
    "token prefixes after every dash": "-wdk_" * (N // 5) + TAIL,
    "header names and spaces": ("authorization" + " " * 100) * (N // 113) + TAIL,
}


@pytest.mark.parametrize("line", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_line_does_not_stall_the_logger(line: str) -> None:
    """A client controls its URL, which the access log writes: patterns that backtracked made a
    64 KB line cost seconds of the event loop (a JWT prefix after every dash: 1.5 s at 16 KB)."""
    start = time.perf_counter()
    redact(line)
    assert time.perf_counter() - start < 1.0
