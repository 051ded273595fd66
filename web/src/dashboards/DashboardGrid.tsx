// The grid of widgets: react-grid-layout v2, read-only in view mode; in edit mode widgets are
// dragged by their handle, resized from the corner, or moved/resized with the arrow keys.
import { useMemo } from "react";
import type { CSSProperties, ReactNode } from "react";
import ReactGridLayout, {
  useContainerWidth,
  verticalCompactor,
  type Layout as RglLayout,
} from "react-grid-layout";
import "react-grid-layout/css/styles.css";

import { MAX_ROWS, positions, toGridItems, type Box, type Limits } from "./layout";

export interface GridWidget {
  id: number;
  type: string;
  title: string;
  position: Box;
}

interface Props<W extends GridWidget> {
  grid: { columns: number; row_height: number; gap: number };
  widgets: W[];
  /** Current positions by widget id (falls back to each widget's stored position). */
  arrangement?: Map<number, Box>;
  editing?: boolean;
  /** Draw the columns and rows in the editor (the "show grid" preference). */
  showGrid?: boolean;
  limits?: (type: string) => Limits | undefined;
  onArrange?: (next: Map<number, Box>) => void;
  renderWidget: (widget: W) => ReactNode;
  label: string;
}

export function DashboardGrid<W extends GridWidget>({
  grid,
  widgets,
  arrangement,
  editing = false,
  showGrid = false,
  limits = () => undefined,
  onArrange,
  renderWidget,
  label,
}: Props<W>) {
  const { width, containerRef, mounted } = useContainerWidth({ initialWidth: 1200 });
  const layout = useMemo(
    () =>
      toGridItems(
        widgets.map((w) => ({ ...w, position: arrangement?.get(w.id) ?? w.position })),
        limits,
        grid.columns,
      ),
    [widgets, arrangement, limits, grid.columns],
  );
  // Narrow screens: one column in reading order instead of a squeezed grid (view mode only).
  const stacked = !editing && mounted && width < 640;
  // Reading order for view mode (and the one-column stack). While editing, a fixed order: the
  // grid re-syncs its layout from its children when their order changes, and a reorder in the
  // middle of a move made it flip between the old and the new arrangement.
  const ordered = useMemo(
    () =>
      [...widgets].sort((a, b) => {
        if (editing) return a.id - b.id;
        const pa = arrangement?.get(a.id) ?? a.position;
        const pb = arrangement?.get(b.id) ?? b.position;
        return pa.y - pb.y || pa.x - pb.x;
      }),
    [widgets, arrangement, editing],
  );

  return (
    <div
      ref={containerRef}
      className={`wd-grid${editing ? " editing" : ""}${showGrid ? " show-grid" : ""}`}
      role="region"
      aria-label={label}
      style={
        {
          "--wd-col-step": `${(width + grid.gap) / grid.columns}px`,
          "--wd-row-step": `${grid.row_height + grid.gap}px`,
        } as CSSProperties
      }
    >
      {stacked ? (
        <div className="wd-stack">
          {ordered.map((widget) => (
            <div
              key={widget.id}
              className="wd-cell"
              style={{
                minHeight: (arrangement?.get(widget.id) ?? widget.position).h * grid.row_height,
              }}
            >
              {renderWidget(widget)}
            </div>
          ))}
        </div>
      ) : (
        mounted && (
          <ReactGridLayout
            width={width}
            layout={layout}
            gridConfig={{
              cols: grid.columns,
              rowHeight: grid.row_height,
              margin: [grid.gap, grid.gap],
              containerPadding: [0, 0],
              maxRows: MAX_ROWS,
            }}
            dragConfig={{ enabled: editing, handle: ".wd-drag-handle", bounded: false }}
            resizeConfig={{ enabled: editing, handles: ["se"] }}
            compactor={verticalCompactor}
            // Only a person's drag or resize becomes the arrangement: the grid's own re-syncs
            // (new props, children) never feed back into it, so the two cannot see-saw.
            onDragStop={(next: RglLayout) => {
              if (editing && onArrange) onArrange(positions(next));
            }}
            onResizeStop={(next: RglLayout) => {
              if (editing && onArrange) onArrange(positions(next));
            }}
          >
            {ordered.map((widget) => (
              <div key={String(widget.id)} className="wd-cell" data-widget-id={widget.id}>
                {renderWidget(widget)}
              </div>
            ))}
          </ReactGridLayout>
        )
      )}
    </div>
  );
}
