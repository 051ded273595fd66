"""Gotify's priorities (0-10) and WakeDock's four levels, both ways.

| Gotify  | WakeDock | back to Gotify |
| ------- | -------- | -------------- |
| 0-3     | low      | 2              |
| 4-7     | normal   | 5              |
| 8-9     | high     | 8              |
| 10      | urgent   | 10             |

Gotify's clients read 0 as "no notification", 1-3 as silent, 4-7 as with a sound and 8-10 as
a pop-up. A message published through Gotify keeps its own number (in its notification's
``data.gotify.priority``) and is read back with it; a notification made any other way is shown
with the right-hand column.
"""

from __future__ import annotations

from wakedock.notifications.schemas import Priority

MIN = 0
MAX = 10

_TO_GOTIFY = {Priority.LOW: 2, Priority.NORMAL: 5, Priority.HIGH: 8, Priority.URGENT: 10}


def to_wakedock(priority: int) -> Priority:
    if not MIN <= priority <= MAX:
        raise ValueError(f"priority must be between {MIN} and {MAX}")
    if priority <= 3:
        return Priority.LOW
    if priority <= 7:
        return Priority.NORMAL
    if priority <= 9:
        return Priority.HIGH
    return Priority.URGENT


def to_gotify(priority: str) -> int:
    try:
        return _TO_GOTIFY[Priority(priority)]
    except ValueError:
        return _TO_GOTIFY[Priority.NORMAL]
