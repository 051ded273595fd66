import { describe, expect, it } from "vitest";

import {
  changedIds,
  compactArrangement,
  layoutBody,
  nudge,
  overlaps,
  positions,
  toGridItems,
} from "./layout";

const limits = { min: { w: 2, h: 1 }, max: { w: 6, h: 4 } };

describe("layout", () => {
  it("turns widgets into grid items with the type's size limits", () => {
    const items = toGridItems(
      [{ id: 7, type: "t", position: { x: 1, y: 2, w: 3, h: 2 } }],
      () => limits,
      4,
    );
    expect(items).toEqual([{ i: "7", x: 1, y: 2, w: 3, h: 2, minW: 2, minH: 1, maxW: 4, maxH: 4 }]);
  });

  it("finds which widgets moved and builds the whole arrangement body", () => {
    const before = positions([
      { i: "1", x: 0, y: 0, w: 2, h: 2 },
      { i: "2", x: 2, y: 0, w: 2, h: 2 },
    ]);
    const after = positions([
      { i: "2", x: 2, y: 0, w: 2, h: 2 },
      { i: "1", x: 0, y: 3, w: 2, h: 2 },
    ]);
    expect(changedIds(before, after)).toEqual([1]);
    expect(changedIds(before, before)).toEqual([]);
    expect(layoutBody(after)).toEqual({
      widgets: [
        { id: 1, x: 0, y: 3, w: 2, h: 2 },
        { id: 2, x: 2, y: 0, w: 2, h: 2 },
      ],
    });
  });

  it("detects overlap", () => {
    expect(overlaps({ x: 0, y: 0, w: 2, h: 2 }, { x: 1, y: 1, w: 2, h: 2 })).toBe(true);
    expect(overlaps({ x: 0, y: 0, w: 2, h: 2 }, { x: 2, y: 0, w: 2, h: 2 })).toBe(false);
  });

  it("moves and resizes by keyboard within bounds and limits, pushing what it lands on", () => {
    const start = new Map([
      [1, { x: 0, y: 0, w: 2, h: 2 }],
      [2, { x: 4, y: 0, w: 2, h: 2 }],
    ]);
    expect(nudge(start, 1, { dx: 1 }, 12, limits)?.get(1)).toEqual({ x: 1, y: 0, w: 2, h: 2 });
    expect(nudge(start, 1, { dx: -1 }, 12, limits)).toBeNull(); // off the grid
    const onto = nudge(start, 1, { dx: 3 }, 12, limits)!; // onto widget 2: it moves down
    expect(onto.get(1)).toEqual({ x: 3, y: 0, w: 2, h: 2 });
    expect(onto.get(2)).toEqual({ x: 4, y: 2, w: 2, h: 2 });
    expect(nudge(start, 1, { dy: 1 }, 12, limits)).toBeNull(); // floats back up: no change
    expect(nudge(start, 1, { dw: -1 }, 12, limits)).toBeNull(); // below min width
    expect(nudge(start, 1, { dh: 1 }, 12, limits)?.get(1)).toEqual({ x: 0, y: 0, w: 2, h: 3 });
    expect(nudge(start, 2, { dx: 7 }, 12, limits)).toBeNull(); // past the columns
    expect(nudge(start, 9, { dx: 1 }, 12)).toBeNull();
  });

  it("compacts: no hole above a widget", () => {
    const holes = new Map([
      [1, { x: 0, y: 3, w: 2, h: 2 }],
      [2, { x: 0, y: 9, w: 4, h: 1 }],
    ]);
    expect([...compactArrangement(holes, 12)]).toEqual([
      [1, { x: 0, y: 0, w: 2, h: 2 }],
      [2, { x: 0, y: 2, w: 4, h: 1 }],
    ]);
  });
});
