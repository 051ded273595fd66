// A labelled form control with the API's message for that field beside it: the UI end of the one
// error contract (a 422's details → ApiError.fieldErrors() → the Field that shows it).
import { useId, useState } from "react";
import type { ReactNode } from "react";

import { ApiError, errorMessage } from "../api/client";
import "./forms.css";

/** Field errors of a failed call (422 details), or {} for anything else. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  return error instanceof ApiError ? error.fieldErrors() : {};
}

/** The message of a failed call that no field shows (so it is never lost). */
export function unplacedError(error: unknown, shown: string[]): string | null {
  if (!error) return null;
  const fields = fieldErrorsOf(error);
  const placed = Object.keys(fields).some((key) => shown.includes(key));
  return placed ? null : errorMessage(error);
}

interface FieldProps {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  children: (props: {
    id: string;
    "aria-invalid": boolean;
    "aria-describedby"?: string;
    onInput: () => void;
  }) => ReactNode;
  className?: string;
}

/** A label, its control and, under it, the server's message for that field. The message goes
 *  once the value is edited (it was about the old value) and comes back with the next answer. */
export function Field({ label, error: given, hint, children, className }: FieldProps) {
  const id = useId();
  const [edited, setEdited] = useState<string | null>(null);
  // A new answer (no error, or another one) forgets the edit.
  if (edited !== null && given !== edited) setEdited(null);
  const error = given && given !== edited ? given : null;
  const describedBy = [error ? `${id}-error` : "", hint ? `${id}-hint` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        "aria-invalid": Boolean(error),
        "aria-describedby": describedBy || undefined,
        onInput: () => {
          if (given) setEdited(given);
        },
      })}
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A form's end: the message no field shows (if any), then its submit button, which says
 *  `busyLabel` and is disabled while the call runs. */
export function FormSubmit({
  error,
  busy,
  label,
  busyLabel,
}: {
  error: string | null;
  busy: boolean;
  label: string;
  busyLabel: string;
}) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : label}
        </button>
      </div>
    </>
  );
}
