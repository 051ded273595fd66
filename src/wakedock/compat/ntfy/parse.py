"""ntfy's request vocabulary, read without I/O: topic names, priorities, tags, action buttons,
``since``, durations and the publish parameters' header and query spellings.

Each function raises ``NtfyError`` with ntfy's code for what it refuses, so the router only
reads and calls. Sources: ntfy's docs/publish.md and docs/subscribe/api.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from wakedock.compat.ntfy import errors

TOPIC_PATTERN = r"[-_A-Za-z0-9]{1,64}"
TOPIC_RE = re.compile(rf"^{TOPIC_PATTERN}$")

# Names a topic may not have: WakeDock's own paths and the UI's, the Gotify-compatible API's,
# and the ones ntfy reserves itself. Requests to them never reach the ntfy routes.
RESERVED = frozenset(
    {
        # WakeDock: server prefixes, the UI's routes and build
        "api", "ws", "metrics", "docs", "redoc", "assets", "static", "login", "logout",
        "shared", "admin", "dashboards", "demo", "notifications", "preferences", "connected-apps",
        "apps", "index", "health", "favicon", "sw", "manifest", "robots",
        # the Gotify-compatible API
        "message", "application", "client", "current", "stream", "version", "plugin", "user",
        "image",
        # ntfy's own
        "app", "account", "settings", "signup", "v1", "file", "config", "_matrix",
    }
)  # fmt: skip
_RESERVED_ALT = "|".join(sorted(re.escape(name) for name in RESERVED))
# For the route's path convertors: a valid name that is not reserved (in any letter case).
TOPIC_PATH = rf"(?!(?i:{_RESERVED_ALT})(?:$|[,/]))(?:{TOPIC_PATTERN})"
TOPICS_PATH = rf"{TOPIC_PATH}(?:,{TOPIC_PATH}){{0,19}}"

MAX_TAGS = 10
MAX_TAG_CHARS = 64
MAX_ACTIONS = 3

# 1..5 as ntfy numbers them, and its names.
PRIORITY_NAMES = {"min": 1, "low": 2, "default": 3, "high": 4, "max": 5, "urgent": 5}
# ntfy's 1..5 to WakeDock's four levels, and back (docs/compat.md).
TO_WAKEDOCK = {1: "low", 2: "low", 3: "normal", 4: "high", 5: "urgent"}
FROM_WAKEDOCK = {"low": 2, "normal": 3, "high": 4, "urgent": 5}

# Each publish parameter's header names (checked in order, then their lower-case spellings
# as query parameters), as ntfy reads them.
PARAMS: Mapping[str, tuple[str, ...]] = {
    "message": ("x-message", "message", "m"),
    "title": ("x-title", "title", "ti", "t"),
    "priority": ("x-priority", "priority", "prio", "p"),
    "tags": ("x-tags", "tags", "tag", "ta"),
    "click": ("x-click", "click"),
    "icon": ("x-icon", "icon"),
    "actions": ("x-actions", "actions", "action"),
    "markdown": ("x-markdown", "markdown", "md"),
    "delay": ("x-delay", "delay", "x-at", "at", "x-in", "in"),
    "email": ("x-email", "x-e-mail", "email", "e-mail", "mail", "e"),
    "attach": ("x-attach", "attach", "a"),
    "filename": ("x-filename", "filename", "file", "f"),
    "call": ("x-call", "call"),
}


# Each spelling's parameter and its rank among that parameter's spellings (no spelling names
# two parameters).
_SPELLINGS = {
    spelling: (param, rank)
    for param, names in PARAMS.items()
    for rank, spelling in enumerate(names)
}
assert len(_SPELLINGS) == sum(len(names) for names in PARAMS.values())


def read_params(headers: Mapping[str, str], query: Mapping[str, str]) -> dict[str, str]:
    """Every publish parameter given: for each, its first spelling (in ``PARAMS`` order) with a
    non-blank header value, else its first with a non-blank query value; stripped. One pass
    over what the request holds (a few headers) rather than a lookup of all ~50 spellings of
    the 13 parameters, which cost an ntfy publish ~3% of its CPU."""
    found: dict[str, tuple[int, int, str]] = {}
    for origin, given in enumerate((headers, query)):
        for key, value in given.items():
            known = _SPELLINGS.get(key)
            if known is None or not value.strip():
                continue
            param, rank = known
            held = found.get(param)
            if held is None or (origin, rank) < held[:2]:
                found[param] = (origin, rank, value.strip())
    return {param: value for param, (_, _, value) in found.items()}


def check_topic(name: str) -> str:
    """A topic name ntfy accepts and WakeDock does not reserve."""
    if not TOPIC_RE.match(name):
        raise errors.topic_invalid()
    if name.lower() in RESERVED:
        raise errors.topic_disallowed()
    return name


def topics(path_value: str) -> list[str]:
    """``a,b,c`` from a subscribe path: each name checked, duplicates removed."""
    seen: dict[str, None] = {}
    for name in path_value.split(","):
        seen[check_topic(name)] = None
    return list(seen)


def priority(value: str | int | None) -> int:
    """1..5 from a number or a name (ntfy's default, 3, when not given)."""
    if value is None or value == "":
        return 3
    if isinstance(value, bool):
        raise errors.priority_invalid()
    if isinstance(value, int):
        number = value
    else:
        text = value.strip().lower()
        if text in PRIORITY_NAMES:
            return PRIORITY_NAMES[text]
        if not text.isdigit() or len(text) > 1:
            raise errors.priority_invalid()
        number = int(text)
    if not 1 <= number <= 5:
        raise errors.priority_invalid()
    return number


def tags(value: str | Iterable[Any] | None) -> list[str]:
    """Comma-separated (or a JSON list of) tags, trimmed, empty ones dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise errors.bad_request(0, "invalid request: tags must be strings")
        tag = item.strip()
        if tag:
            if len(tag) > MAX_TAG_CHARS:
                raise errors.bad_request(
                    0, f"invalid request: a tag is longer than {MAX_TAG_CHARS}"
                )
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise errors.bad_request(0, f"invalid request: more than {MAX_TAGS} tags")
    return out


def boolean(value: str | bool | None) -> bool:
    if isinstance(value, bool):
        return value
    return value is not None and value.strip().lower() in ("1", "yes", "true", "on")


def url(value: str | None, what: str) -> str | None:
    """An http(s) URL (or ntfy's other click schemes: mailto, geo...), at most 2048 chars."""
    if value is None or value == "":
        return None
    if len(value) > 2048 or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value):
        raise errors.bad_request(0, f"invalid request: {what} is not a valid URL")
    return value


# ------------------------------------------------------------------ actions


def actions(value: str | list[Any] | None) -> list[dict[str, Any]]:
    """Action buttons: ntfy's JSON array or its short header form
    (``view, Open, https://x; http, Close, https://y, method=PUT, body=...``)."""
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise errors.actions_invalid("not valid JSON") from None
    raw = value if isinstance(value, list) else [_short_action(part) for part in _split(value, ";")]
    if len(raw) > MAX_ACTIONS:
        raise errors.actions_invalid(f"too many actions (at most {MAX_ACTIONS})")
    return [_action(item) for item in raw]


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside single or double quotes; empty parts dropped."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in text:
        if quote is not None:
            if char == quote:
                quote = None
            current.append(char)
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote is not None:
        raise errors.actions_invalid("unterminated quote")
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


_ACTION_KEYS = re.compile(
    r"^\s*(action|label|url|clear|method|body|intent|headers\.[\w-]+|extras\.[\w-]+)\s*=(.*)$",
    re.IGNORECASE | re.DOTALL,
)


def _short_action(text: str) -> dict[str, Any]:
    """One action of the header form: positional action, label, url, then ``key=value``."""
    item: dict[str, Any] = {}
    positional = iter(("action", "label", "url"))
    for field in _split(text, ","):
        pair = _ACTION_KEYS.match(field)
        if pair is not None:
            key, value = pair.group(1), _unquote(pair.group(2))
            if key.lower().startswith("headers."):
                item.setdefault("headers", {})[key[8:]] = value
            else:
                item[key.lower()] = value
            continue
        name = next(positional, None)
        while name is not None and name in item:
            name = next(positional, None)
        if name is None:
            raise errors.actions_invalid(f"unexpected field {field[:40]!r}")
        item[name] = _unquote(field)
    return item


def _action(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise errors.actions_invalid("an action must be an object")
    kind = str(item.get("action", "")).lower()
    label = item.get("label")
    if kind not in ("view", "http", "broadcast"):
        raise errors.actions_invalid(f"action {kind!r} is not supported (view, http)")
    if kind == "broadcast":
        raise errors.actions_invalid("broadcast actions are Android-only and not supported")
    if not isinstance(label, str) or not label.strip() or len(label) > 64:
        raise errors.actions_invalid("a label (1-64 characters) is required")
    target = url(item.get("url") if isinstance(item.get("url"), str) else None, "an action's url")
    if target is None:
        raise errors.actions_invalid("a url is required")
    out: dict[str, Any] = {"action": kind, "label": label.strip(), "url": target}
    out["clear"] = boolean(item.get("clear"))
    if kind == "http":
        method = str(item.get("method") or "POST").upper()
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise errors.actions_invalid(f"method {method[:10]!r} is not supported")
        out["method"] = method
        headers = item.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise errors.actions_invalid("headers must map names to strings")
        if headers:
            out["headers"] = headers
        body = item.get("body")
        if body is not None:
            if not isinstance(body, str) or len(body) > 4096:
                raise errors.actions_invalid("body must be a string of at most 4096 characters")
            out["body"] = body
    return out


# ------------------------------------------------------------------ since, delay


@dataclass(frozen=True, slots=True)
class Since:
    """Where a subscription starts: after a message id, at a time, everything, the newest
    message only, or nothing cached (live only)."""

    after_id: int | None = None
    at: datetime | None = None
    everything: bool = False
    latest: bool = False

    @property
    def none(self) -> bool:
        return self.after_id is None and self.at is None and not self.everything and not self.latest


_DURATION = re.compile(r"^(\d{1,9})(s|m|h|d|w)?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, None: 1}


def duration(text: str) -> timedelta | None:
    """``30s``, ``10m``, ``2h``, ``1d``, ``1w`` (None if it is not one)."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def since(value: str | None, *, poll: bool, now: datetime) -> Since:
    """ntfy's ``since``: ``all``, ``latest``, ``none``, a unix time, a duration (``10m``) or
    a message id. A poll without one fetches everything, as ntfy does."""
    if value is None or value == "":
        return Since(everything=True) if poll else Since()
    text = value.strip().lower()
    if text == "all":
        return Since(everything=True)
    if text == "latest":
        return Since(latest=True)
    if text == "none":
        return Since()
    if text.isdigit():  # a unix time (ids have a prefix: ``message_id``)
        try:
            return Since(at=datetime.fromtimestamp(int(text), tz=now.tzinfo))
        except (OverflowError, OSError, ValueError):
            raise errors.since_invalid() from None
    span = duration(text) if text[-1:].isalpha() else None
    if span is not None:
        return Since(at=now - span)
    message = message_id(text)
    if message is None:
        raise errors.since_invalid()
    return Since(after_id=message)


# Message ids on the wire: the notification's id with a prefix, so an id is never mistaken
# for a unix time or a duration, and is a string as ntfy's are.
_ID_PREFIX = "wd"


def to_message_id(notification_id: int) -> str:
    return f"{_ID_PREFIX}{notification_id}"


def message_id(text: str) -> int | None:
    if not text.startswith(_ID_PREFIX) or not text[2:].isdigit() or len(text) > 22:
        return None
    value = int(text[2:])
    return value if value < 2**63 else None


DELAY_MIN = timedelta(seconds=10)
DELAY_MAX = timedelta(days=3)
_DELAY_LINK = "https://ntfy.sh/docs/publish/#scheduled-delivery"


def delay(value: str | int | None, *, now: datetime) -> datetime | None:
    """When a delayed message is due: a unix time or a duration (``30m``, ``2h``); between
    10 seconds and 3 days ahead, as ntfy's defaults (None: not delayed)."""
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text.isdigit() and len(text) >= 9:
        try:
            at = datetime.fromtimestamp(int(text), tz=now.tzinfo)
        except (OverflowError, OSError, ValueError):
            raise errors.bad_request(
                40004, "invalid delay parameter: unable to parse delay", _DELAY_LINK
            ) from None
    else:
        span = duration(text)
        if span is None:
            raise errors.bad_request(
                40004, "invalid delay parameter: unable to parse delay", _DELAY_LINK
            )
        at = now + span
    if at - now < DELAY_MIN:
        raise errors.bad_request(
            40005, "invalid delay parameter: too small, please refer to the docs", _DELAY_LINK
        )
    if at - now > DELAY_MAX:
        raise errors.bad_request(
            40006, "invalid delay parameter: too large, please refer to the docs", _DELAY_LINK
        )
    return at
