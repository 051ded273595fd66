"""Counted nouns and lists of names as people write them, not as Python prints them."""

from __future__ import annotations

from wakedock.wording import named, plural


def test_plural_counts_the_noun() -> None:
    assert plural(1, "recipient") == "1 recipient"
    assert plural(0, "recipient") == "0 recipients"
    assert plural(3, "entry", "entries") == "3 entries"


def test_named_lists_each_name_once_without_brackets_or_quotes() -> None:
    assert named("Unknown channel", ["ops-slack"]) == "Unknown channel: ops-slack"
    assert named("Unknown channel", ["a", "b", "a"]) == "Unknown channels: a, b"
    assert named("Unknown or disabled user id", [7, 9]) == "Unknown or disabled user ids: 7, 9"
