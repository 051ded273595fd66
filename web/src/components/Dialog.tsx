// A modal dialog on the native <dialog>: focus moves inside and is trapped by the browser,
// Escape closes it, and focus returns to whatever opened it.
import { Fragment, useEffect, useId, useRef } from "react";
import type { ReactNode } from "react";

interface Props {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Wider dialogs for the widget catalogue and forms. */
  wide?: boolean;
  description?: string;
}

/** The modal, mounted only while `open` (default true): screens may keep an open flag instead of
 *  mounting it conditionally; either way focus returns to the opener when it closes. */
export function Dialog({ open = true, ...props }: Props & { open?: boolean }) {
  return open ? <ModalDialog {...props} /> : null;
}

function ModalDialog({ title, onClose, children, wide, description }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    const autofocus = dialog.querySelector<HTMLElement>("[data-autofocus]");
    autofocus?.focus();
    const onCancel = (event: Event) => {
      event.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (opener && document.contains(opener)) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`wd-dialog${wide ? " wide" : ""}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onMouseDown={(event) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it.
        if (event.target === ref.current) onClose();
      }}
    >
      <div className="wd-dialog-body">
        <header className="wd-dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="ghost small" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </header>
        {description && (
          <p id={descriptionId} className="muted">
            {description}
          </p>
        )}
        {children}
      </div>
    </dialog>
  );
}

/** "Are you sure?" with a danger button; the safe choice has the focus. */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{message}</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
          {busy ? "Working…" : confirmLabel}
        </button>
        <button type="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/** The add/edit modal of a list: open while `editing` is "new" or an item, its form remounted
 *  for each (`itemKey`), so a form's state never carries from one item to the next. */
export function EditDialog<T>({
  editing,
  newTitle,
  editTitle,
  itemKey,
  onClose,
  children,
}: {
  editing: T | "new" | null;
  newTitle: string;
  editTitle: (item: T) => string;
  itemKey: (item: T) => string | number;
  onClose: () => void;
  children: (item: T | null) => ReactNode;
}) {
  const item = editing === "new" || editing === null ? null : editing;
  return (
    <Dialog
      title={item === null ? newTitle : editTitle(item)}
      open={editing !== null}
      onClose={onClose}
    >
      {editing !== null && (
        <Fragment key={item === null ? "new" : itemKey(item)}>{children(item)}</Fragment>
      )}
    </Dialog>
  );
}

/** Confirm an action on `item` (mounted while it is set): confirming runs `onConfirm` and
 *  closes at once; the list's own mutation shows any failure. */
export function ConfirmFor<T>({
  item,
  onConfirm,
  onClose,
  ...props
}: {
  item: T | null;
  title: (item: T) => string;
  message: string;
  confirmLabel: string;
  onConfirm: (item: T) => void;
  onClose: () => void;
}) {
  if (item === null) return null;
  return (
    <ConfirmDialog
      title={props.title(item)}
      message={props.message}
      confirmLabel={props.confirmLabel}
      onConfirm={() => {
        onConfirm(item);
        onClose();
      }}
      onClose={onClose}
    />
  );
}
