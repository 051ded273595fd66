import type { ReactNode } from "react";

import { useScrollFocus } from "./useScrollFocus";

/** A table's box: it scrolls sideways when the table is wider than the screen, and then takes
 *  the keyboard focus (so arrow keys scroll it). */
export function TableWrap({ children }: { children: ReactNode }) {
  const ref = useScrollFocus<HTMLDivElement>();
  return (
    <div className="table-wrap" ref={ref}>
      {children}
    </div>
  );
}
