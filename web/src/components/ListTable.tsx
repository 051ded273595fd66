import type { ReactNode } from "react";

import { TableWrap } from "./TableWrap";

/** One column of an admin list: its header, which is also the cell's label when the table
 *  becomes cards on a phone (`data-label`), and what a row shows in it. */
export interface ListColumn<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

interface Props<T> {
  /** The table's accessible name ("Users", "Channels"…). */
  label: string;
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  /** The first column: the row's name, shown as the card's heading (no label). */
  name: ListColumn<T>;
  columns: readonly ListColumn<T>[];
  /** The row's buttons, in the last column (its header is for screen readers only). */
  actions: (row: T) => ReactNode;
}

/** A list of items (the admin screens, Connected apps): a table that scrolls sideways when
 *  too wide and turns into cards on a phone (`className="cards"`), one row an item, its
 *  actions last. */
export function ListTable<T>({ label, rows, rowKey, name, columns, actions }: Props<T>) {
  return (
    <TableWrap>
      <table aria-label={label} className="cards">
        <thead>
          <tr>
            <th>{name.header}</th>
            {columns.map((column) => (
              <th key={column.header}>{column.header}</th>
            ))}
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              <td>{name.cell(row)}</td>
              {columns.map((column) => (
                <td key={column.header} data-label={column.header}>
                  {column.cell(row)}
                </td>
              ))}
              <td className="row-actions">{actions(row)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** "enabled" (green) or "disabled": the state of a channel or an integration. */
export function EnabledBadge({ active }: { active: boolean }) {
  return (
    <span className={`badge ${active ? "success" : ""}`}>{active ? "enabled" : "disabled"}</span>
  );
}

interface RowButtonProps {
  /** The item's name, in the button's accessible name ("Edit backups"). */
  name: string;
  onClick: () => void;
}

export function EditButton({ name, onClick }: RowButtonProps) {
  return (
    <button type="button" className="small" aria-label={`Edit ${name}`} onClick={onClick}>
      Edit
    </button>
  );
}

export function ToggleButton({ name, active, onClick }: RowButtonProps & { active: boolean }) {
  const verb = active ? "Disable" : "Enable";
  return (
    <button type="button" className="small" aria-label={`${verb} ${name}`} onClick={onClick}>
      {verb}
    </button>
  );
}

export function DeleteButton({ name, onClick }: RowButtonProps) {
  return (
    <button type="button" className="small danger" aria-label={`Delete ${name}`} onClick={onClick}>
      Delete
    </button>
  );
}
