"""What an inbound payload becomes: ``Item``s, one notification each, before a target is
applied. Pure values: the kinds' mappers (``alertmanager.py``, ``github.py``, ``hooks.py``)
build them, ``sending.py`` stores them through the notifications service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wakedock.notifications.schemas import NotificationType, Priority

TITLE_MAX = 255
MESSAGE_MAX = 10_000
URL_MAX = 2048
KEY_MAX = 128


@dataclass(frozen=True, slots=True)
class Item:
    """One notification to send: its content, and the ``group_key`` that makes a later item
    with the same key replace it (an alert's firing and resolved states)."""

    title: str
    message: str = ""
    type: str = NotificationType.INFO.value
    priority: str = Priority.NORMAL.value
    action_url: str | None = None
    group_key: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def clip(text: object, limit: int) -> str:
    """``text`` as a string of at most ``limit`` characters (an ellipsis marks a cut)."""
    value = text if isinstance(text, str) else ("" if text is None else str(text))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def web_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL that fits an action URL, else None (a sender's
    ``javascript:`` link never becomes a notification's action)."""
    if not isinstance(value, str) or len(value) > URL_MAX:
        return None
    lowered = value.lower()
    return value if lowered.startswith(("https://", "http://")) else None


def unique_keys(items: list[Item]) -> list[Item]:
    """Of items sharing a group_key, the last one only (it would replace the others at once;
    one store batch must not hold one key twice)."""
    last: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.group_key is not None:
            last[item.group_key] = index
    return [
        item
        for index, item in enumerate(items)
        if item.group_key is None or last[item.group_key] == index
    ]
