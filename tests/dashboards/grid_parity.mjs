// Runs layouts through the installed react-grid-layout (the editor's library) for
// test_layout_parity.py: stdin a JSON list of {cols, layout, moves}, stdout the results.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const core = await import(pathToFileURL(process.argv[2]).href);
const { verticalCompactor, moveElement, getLayoutItem, cloneLayout } = core;

const plain = (layout) => layout.map(({ i, x, y, w, h }) => ({ i: Number(i), x, y, w, h }));
const cases = JSON.parse(readFileSync(0, "utf8"));
const results = cases.map(({ cols, layout, moves }) => {
  const items = layout.map((b) => ({ ...b, i: String(b.i) }));
  const compacted = plain(verticalCompactor.compact(cloneLayout(items), cols));
  // The editor's drag/resize: resize the item, move it (pushing what it lands on), compact.
  let current = cloneLayout(items);
  for (const move of moves) {
    const item = getLayoutItem(current, String(move.i));
    if (!item) continue;
    item.w = move.w;
    item.h = move.h;
    current = moveElement(current, item, move.x, move.y, true, false, "vertical", cols, false);
    current = verticalCompactor.compact(current, cols);
  }
  return { compacted, arranged: plain(verticalCompactor.compact(current, cols)) };
});
process.stdout.write(JSON.stringify(results));
