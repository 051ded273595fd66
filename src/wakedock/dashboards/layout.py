"""The grid's rules, the same as the editor's: no overlap, vertical compaction (widgets float up).

A line-for-line port of react-grid-layout 2.x (``src/core/compactors.ts`` ``verticalCompactor``,
``src/core/layout.ts`` ``moveElement``/``moveElementAwayFromCollision``) for
``compactType="vertical"``, ``preventCollision=false``, ``allowOverlap=false`` and no static
items: what the editor shows after a drag is what the server stores. Parity with the installed
library is pinned by ``tests/dashboards/test_layout_parity.py`` (it runs the JavaScript).

Two departures, neither changing a result: the upward search of ``compactItemVertical`` (one row
at a time, up to a thousand rows) is computed in one step, and items are plain mutable objects.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(slots=True)
class Item:
    """One widget on the grid (react-grid-layout's ``LayoutItem``): ``i`` is its id."""

    i: int
    x: int
    y: int
    w: int
    h: int
    moved: bool = False

    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


def collides(a: Item, b: Item) -> bool:
    if a.i == b.i:
        return False
    return not (a.x + a.w <= b.x or a.x >= b.x + b.w or a.y + a.h <= b.y or a.y >= b.y + b.h)


def first_collision(layout: Iterable[Item], item: Item) -> Item | None:
    for other in layout:
        if collides(other, item):
            return other
    return None


def bottom(layout: Iterable[Item]) -> int:
    return max((item.y + item.h for item in layout), default=0)


def _by_row_col(layout: Sequence[Item]) -> list[Item]:
    return sorted(layout, key=lambda item: (item.y, item.x))  # stable, as Array.sort


def _resolve_compaction_collision(layout: list[Item], item: Item, move_to: int) -> None:
    """Push ``item`` to row ``move_to``, first pushing the later items it would hit."""
    item.y += 1
    start = next((n for n, other in enumerate(layout) if other.i == item.i), -1)
    for other in layout[start + 1 :]:
        if other.y > item.y + item.h:
            break  # sorted by row: nothing further down can be hit
        if collides(item, other):
            _resolve_compaction_collision(layout, other, move_to + item.h)
    item.y = move_to


def _highest_free_row(placed: Sequence[Item], item: Item, start: int) -> int:
    """Where ``while (y > 0 && !collision) y--`` stops, without walking row by row."""
    stop = 0
    for other in placed:
        if other.x + other.w <= item.x or other.x >= item.x + item.w:
            continue
        # Rows at which ``item`` would touch ``other``: other.y - h + 1 … other.y + other.h - 1.
        if other.y - item.h + 1 <= start:
            stop = max(stop, min(start, other.y + other.h - 1))
    return stop


def _compact_item(placed: list[Item], item: Item, full: list[Item], max_y: int) -> Item:
    item.x = max(item.x, 0)
    item.y = min(max_y, max(item.y, 0))
    item.y = _highest_free_row(placed, item, item.y) if item.y > 0 else 0
    while (hit := first_collision(placed, item)) is not None:
        _resolve_compaction_collision(full, item, hit.y + hit.h)
    item.y = max(item.y, 0)
    return item


def compact(layout: Sequence[Item]) -> list[Item]:
    """``verticalCompactor.compact``: reading order, each item as high as it fits.

    Returns new items in the input's order; like the original, it may move the input items
    that come later in reading order while it resolves a collision.
    """
    placed: list[Item] = []
    max_y = 0
    ordered = _by_row_col(layout)
    out: dict[int, Item] = {}
    for original in ordered:
        clone = Item(original.i, original.x, original.y, original.w, original.h, original.moved)
        clone = _compact_item(placed, clone, ordered, max_y)
        max_y = max(max_y, clone.y + clone.h)
        placed.append(clone)
        clone.moved = False
        out[id(original)] = clone
    return [out[id(item)] for item in layout]


def move_element(
    layout: list[Item], item: Item, x: int | None, y: int | None, *, user_action: bool
) -> list[Item]:
    """``moveElement`` (vertical): put ``item`` at (x, y), pushing what it lands on downwards."""
    if item.x == x and item.y == y:
        return list(layout)
    old_y = item.y
    if x is not None:
        item.x = x
    if y is not None:
        item.y = y
    item.moved = True
    ordered = _by_row_col(layout)
    if y is not None and old_y >= y:  # moving up: the items below are tried first
        ordered.reverse()
    collisions = [other for other in ordered if collides(other, item)]
    result = list(layout)
    for hit in collisions:
        if hit.moved:
            continue
        result = _move_away(result, item, hit, user_action=user_action)
    return result


def _move_away(
    layout: list[Item], collides_with: Item, to_move: Item, *, user_action: bool
) -> list[Item]:
    """``moveElementAwayFromCollision`` (vertical): ``to_move`` above ``collides_with`` if it
    fits there on a user's move, otherwise one row down (which may push further)."""
    if user_action:
        fake = Item(-1, to_move.x, max(collides_with.y - to_move.h, 0), to_move.w, to_move.h)
        hit = first_collision(layout, fake)
        if hit is None:
            return move_element(layout, to_move, None, fake.y, user_action=False)
        if hit.y + hit.h > collides_with.y:
            return move_element(layout, to_move, None, to_move.y + 1, user_action=False)
    return move_element(layout, to_move, None, to_move.y + 1, user_action=False)


def arrange(layout: Sequence[Item], moves: Sequence[Item] = ()) -> list[Item]:
    """The editor's drag, then its compaction: each of ``moves`` (an id and its new box) is
    resized, then moved with ``move_element``; the result is compacted after each, as the
    editor does after every drag step. With no moves: just the compaction."""
    current = [Item(i.i, i.x, i.y, i.w, i.h) for i in layout]
    for move in moves:
        target = next((i for i in current if i.i == move.i), None)
        if target is None:
            continue
        target.w, target.h = move.w, move.h
        current = move_element(current, target, move.x, move.y, user_action=True)
        current = compact(current)
    return compact(current)
