// Building blocks shared by the admin consoles and the preferences screen: permission guard,
// labelled fields with the API's message beside them, a modal dialog, dates, debouncing.
import { useEffect, useId, useState } from "react";
import type { ReactNode } from "react";

import { ApiError, errorMessage } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { Dialog as SharedDialog } from "../components/Dialog";
import "./admin.css";

/** Renders the page only for holders of `permission`; others learn what they lack. */
export function RequirePermission({
  permission,
  title,
  children,
}: {
  permission: string;
  title: string;
  children: ReactNode;
}) {
  const { can } = useAuth();
  if (!can(permission)) {
    return (
      <section className="page">
        <h1>{title}</h1>
        <p className="notice error" role="alert">
          You need the permission <code>{permission}</code> to use this page. Ask an administrator
          for a role that grants it.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}

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
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
  className?: string;
}

/** A label, its control and, under it, the server's message for that field. */
export function Field({ label, error, hint, children, className }: FieldProps) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ");
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": Boolean(error), "aria-describedby": describedBy || undefined })}
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

/** The shared modal dialog, mounted only while `open` (admin screens keep their open flag). */
export function Dialog({
  open,
  ...props
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  return open ? <SharedDialog {...props} /> : null;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date);
}

/** `value`, once it has stayed unchanged for `delay` ms. */
export function useDebounced<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** Loading / error lines for a query, so no screen is ever blank. */
export function QueryStatus({
  isPending,
  error,
  label,
}: {
  isPending: boolean;
  error: unknown;
  label: string;
}) {
  if (isPending) {
    return (
      <p className="muted" role="status" aria-busy="true">
        Loading {label}…
      </p>
    );
  }
  if (error) {
    return (
      <p className="notice error" role="alert">
        Could not load {label}: {errorMessage(error)}
      </p>
    );
  }
  return null;
}

export const ROLES = ["admin", "operator", "user"] as const;
export const NOTIFICATION_TYPES = [
  "info",
  "warning",
  "error",
  "success",
  "system",
  "security",
  "deployment",
  "monitoring",
] as const;
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;

/** Toggle `item` in a list, keeping `order`'s order. */
export function toggled<T>(list: readonly T[], item: T, order: readonly T[]): T[] {
  const set = new Set(list);
  if (set.has(item)) set.delete(item);
  else set.add(item);
  return order.filter((value) => set.has(value));
}
