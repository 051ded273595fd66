"""Human wording for messages users read: counted nouns and lists of names, never Python reprs."""

from __future__ import annotations

from collections.abc import Iterable


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 recipient``, ``3 recipients`` (``many`` for irregular plurals)."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def named(label: str, items: Iterable[object], many: str | None = None) -> str:
    """``Unknown channel: ops-slack`` or ``Unknown channels: a, b`` (each name once, in order)."""
    names = [str(item) for item in dict.fromkeys(items)]
    noun = label if len(names) == 1 else (many or label + "s")
    return f"{noun}: {', '.join(names)}"
