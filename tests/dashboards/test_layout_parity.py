"""The server's grid rules are the editor's: the same layouts through react-grid-layout (the
installed JavaScript, run by Node) and through ``wakedock.dashboards.layout`` give the same
boxes, and the results hold the rules (no overlap, nothing can float up)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from wakedock.dashboards import layout as grid

ROOT = Path(__file__).resolve().parents[2]
RGL_CORE = ROOT / "web" / "node_modules" / "react-grid-layout" / "dist" / "core.mjs"
SCRIPT = Path(__file__).with_name("grid_parity.mjs")


def _cases(count: int, seed: int = 21) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = []
    for _ in range(count):
        cols = rng.choice([4, 6, 12])
        layout = []
        for i in range(1, rng.randint(1, 14) + 1):
            w = rng.randint(1, cols)
            layout.append({"i": i, "x": rng.randint(0, cols - w), "y": rng.randint(0, 14),
                           "w": w, "h": rng.randint(1, 5)})  # fmt: skip
        moves = []
        for _ in range(rng.randint(0, 3)):
            item = rng.choice(layout)
            w = rng.randint(1, cols)
            moves.append({"i": item["i"], "x": rng.randint(0, cols - w), "y": rng.randint(0, 16),
                          "w": w, "h": rng.randint(1, 5)})  # fmt: skip
        cases.append({"cols": cols, "layout": layout, "moves": moves})
    # A pile of identical widgets on one spot (the attacker's favourite) and a tall sparse one.
    pile = [{"i": i, "x": 0, "y": 0, "w": 12, "h": 4} for i in range(1, 101)]
    cases.append(
        {"cols": 12, "layout": pile, "moves": [{"i": 50, "x": 0, "y": 0, "w": 12, "h": 4}]}
    )
    sparse = [{"i": i, "x": (i * 5) % 12 // 2, "y": i * 9, "w": 6, "h": 1} for i in range(1, 101)]
    cases.append({"cols": 12, "layout": sparse, "moves": []})
    return cases


def _python(case: dict[str, Any]) -> dict[str, list[dict[str, int]]]:
    def items(boxes: list[dict[str, int]]) -> list[grid.Item]:
        return [grid.Item(b["i"], b["x"], b["y"], b["w"], b["h"]) for b in boxes]

    def plain(result: list[grid.Item]) -> list[dict[str, int]]:
        return [{"i": r.i, "x": r.x, "y": r.y, "w": r.w, "h": r.h} for r in result]

    return {
        "compacted": plain(grid.compact(items(case["layout"]))),
        "arranged": plain(grid.arrange(items(case["layout"]), items(case["moves"]))),
    }


def _javascript(cases: list[dict[str, Any]]) -> list[dict[str, list[dict[str, int]]]]:
    node = shutil.which("node")
    if node is None or not RGL_CORE.exists():
        pytest.skip("needs Node.js and web/node_modules (make web)")
    done = subprocess.run(
        [node, str(SCRIPT), str(RGL_CORE)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: list[dict[str, list[dict[str, int]]]] = json.loads(done.stdout)
    return result


def test_python_and_react_grid_layout_agree() -> None:
    cases = _cases(400)
    expected = _javascript(cases)
    for index, (case, want) in enumerate(zip(cases, expected, strict=True)):
        assert _python(case) == want, f"case {index}: {json.dumps(case)}"


def _assert_compact(boxes: list[grid.Item]) -> None:
    for n, item in enumerate(boxes):
        assert not any(grid.collides(item, other) for other in boxes[n + 1 :]), item
        if item.y > 0:  # one row up would hit something: it cannot float
            up = grid.Item(item.i, item.x, item.y - 1, item.w, item.h)
            assert grid.first_collision(boxes, up) is not None, item


def test_results_hold_the_rules_and_are_stable() -> None:
    for case in _cases(200, seed=7):
        items = [grid.Item(b["i"], b["x"], b["y"], b["w"], b["h"]) for b in case["layout"]]
        moves = [grid.Item(b["i"], b["x"], b["y"], b["w"], b["h"]) for b in case["moves"]]
        arranged = grid.arrange(items, moves)
        _assert_compact(arranged)
        # What the editor sends back (already compact) is stored as sent.
        assert [i.box() for i in grid.arrange(arranged)] == [i.box() for i in arranged]


def test_a_hundred_widgets_on_one_spot_are_quick() -> None:
    pile = [grid.Item(i, 0, 0, 12, 20) for i in range(1, 101)]
    started = time.perf_counter()
    arranged = grid.arrange(pile, [grid.Item(100, 0, 0, 12, 20)])
    assert time.perf_counter() - started < 2.0  # measured well under 0.1 s
    _assert_compact(arranged)
    assert grid.bottom(arranged) == 2000
