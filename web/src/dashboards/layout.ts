// Grid arithmetic for the editor: widgets ↔ react-grid-layout items, what changed, and moving or
// resizing one widget from the keyboard. Pure: unit-tested.
//
// The grid's rules are react-grid-layout's vertical compaction (no overlap, widgets float up),
// and the server applies the same ones (src/wakedock/dashboards/layout.py, a port pinned by
// tests/dashboards/test_layout_parity.py): what the editor shows is what the server stores.
import { moveElement, verticalCompactor, type LayoutItem } from "react-grid-layout";

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GridItem extends Box {
  i: string;
  minW?: number;
  maxW?: number;
  minH?: number;
  maxH?: number;
}

export interface Limits {
  min: { w: number; h: number };
  max: { w: number; h: number };
}

/** The server refuses y + h beyond this many rows. */
export const MAX_ROWS = 1000;

export interface PositionedWidget {
  id: number;
  type: string;
  position: Box;
}

export function toGridItems(
  widgets: PositionedWidget[],
  limits: (type: string) => Limits | undefined,
  columns: number,
): GridItem[] {
  return widgets.map((widget) => {
    const limit = limits(widget.type);
    const item: GridItem = { i: String(widget.id), ...pick(widget.position) };
    if (limit) {
      item.minW = limit.min.w;
      item.minH = limit.min.h;
      item.maxW = Math.min(limit.max.w, columns);
      item.maxH = limit.max.h;
    }
    return item;
  });
}

function pick(box: Box): Box {
  return { x: box.x, y: box.y, w: box.w, h: box.h };
}

/** Positions by widget id. */
export function positions(items: readonly (Box & { i: string })[]): Map<number, Box> {
  return new Map(items.map((item) => [Number(item.i), pick(item)]));
}

export function sameBox(a: Box | undefined, b: Box | undefined): boolean {
  return !!a && !!b && a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

/** Ids whose box differs between two arrangements (added or removed ids count too). */
export function changedIds(before: Map<number, Box>, after: Map<number, Box>): number[] {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => !sameBox(before.get(id), after.get(id))).sort((a, b) => a - b);
}

/** The body of PUT /layout: every widget's position (the whole arrangement). */
export function layoutBody(arrangement: Map<number, Box>): { widgets: ({ id: number } & Box)[] } {
  return {
    widgets: [...arrangement.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, box]) => ({ id, ...box })),
  };
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The editor's compaction (react-grid-layout's verticalCompactor) of a whole arrangement. */
export function compactArrangement(
  arrangement: Map<number, Box>,
  columns: number,
): Map<number, Box> {
  const items: LayoutItem[] = [...arrangement].map(([id, box]) => ({ i: String(id), ...box }));
  return positions(verticalCompactor.compact(items, columns));
}

/**
 * Move (dx, dy) or resize (dw, dh) one widget by keyboard, as a drag would: what it lands on is
 * pushed down, then everything floats up. Returns the new arrangement, or null when the step
 * would leave the grid, break the type's size limits or change nothing.
 */
export function nudge(
  arrangement: Map<number, Box>,
  id: number,
  step: { dx?: number; dy?: number; dw?: number; dh?: number },
  columns: number,
  limits?: Limits,
): Map<number, Box> | null {
  const box = arrangement.get(id);
  if (!box) return null;
  const next: Box = {
    x: box.x + (step.dx ?? 0),
    y: box.y + (step.dy ?? 0),
    w: box.w + (step.dw ?? 0),
    h: box.h + (step.dh ?? 0),
  };
  if (next.x < 0 || next.y < 0 || next.x + next.w > columns || next.y + next.h > MAX_ROWS)
    return null;
  if (next.w < 1 || next.h < 1) return null;
  if (limits) {
    if (next.w < limits.min.w || next.h < limits.min.h) return null;
    if (next.w > limits.max.w || next.h > limits.max.h) return null;
  }
  let items: LayoutItem[] = [...arrangement].map(([key, b]) => ({ i: String(key), ...b }));
  const item = items.find((candidate) => candidate.i === String(id))!;
  item.w = next.w;
  item.h = next.h;
  items = moveElement(items, item, next.x, next.y, true, false, "vertical", columns, false);
  const result = positions(verticalCompactor.compact(items, columns));
  return changedIds(arrangement, result).length === 0 ? null : result;
}
