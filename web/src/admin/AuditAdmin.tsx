import { useInfiniteQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import type { FormEvent } from "react";

import { api, unwrap } from "../api/client";
import { Field, fieldErrorsOf } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { TableWrap } from "../components/TableWrap";
import { adminKeys } from "./keys";

interface Filters {
  actor_name: string;
  action: string;
  resource_type: string;
  resource_id: string;
  success: "" | "true" | "false";
  since: string;
  until: string;
}

const EMPTY: Filters = {
  actor_name: "",
  action: "",
  resource_type: "",
  resource_id: "",
  success: "",
  since: "",
  until: "",
};

/** A datetime-local value (the browser's zone) → ISO with offset, for the API. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

export function AuditAdmin() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const log = useInfiniteQuery({
    queryKey: adminKeys.audit(filters),
    initialPageParam: null as string | null,
    retry: false,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/audit", {
          params: {
            query: {
              limit: 50,
              cursor: pageParam ?? undefined,
              actor_name: filters.actor_name.trim() || undefined,
              action: filters.action.trim() || undefined,
              resource_type: filters.resource_type.trim() || undefined,
              resource_id: filters.resource_id.trim() || undefined,
              success: filters.success === "" ? undefined : filters.success === "true",
              since: isoOf(filters.since),
              until: isoOf(filters.until),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
  const errors = fieldErrorsOf(log.error);
  const rows = log.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const toggle = (id: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const set = (key: keyof Filters, value: string) => setDraft({ ...draft, [key]: value });
  return (
    <section className="page stack">
      <div className="page-header">
        <h1>Audit log</h1>
      </div>
      <form className="card" onSubmit={submit} aria-label="Audit filters" noValidate>
        <div className="form-grid">
          <Field label="Actor" error={errors.actor_name}>
            {(p) => (
              <input
                {...p}
                value={draft.actor_name}
                placeholder="username"
                onChange={(e) => set("actor_name", e.target.value)}
              />
            )}
          </Field>
          <Field
            label="Action"
            error={errors.action}
            hint="Exact (user.create) or a prefix ending in “.” (user.)"
          >
            {(p) => (
              <input {...p} value={draft.action} onChange={(e) => set("action", e.target.value)} />
            )}
          </Field>
          <Field label="Resource type" error={errors.resource_type}>
            {(p) => (
              <input
                {...p}
                value={draft.resource_type}
                placeholder="user, notification_channel…"
                onChange={(e) => set("resource_type", e.target.value)}
              />
            )}
          </Field>
          <Field label="Resource id" error={errors.resource_id}>
            {(p) => (
              <input
                {...p}
                value={draft.resource_id}
                onChange={(e) => set("resource_id", e.target.value)}
              />
            )}
          </Field>
          <Field label="Outcome" error={errors.success}>
            {(p) => (
              <select {...p} value={draft.success} onChange={(e) => set("success", e.target.value)}>
                <option value="">Any</option>
                <option value="true">Succeeded</option>
                <option value="false">Failed</option>
              </select>
            )}
          </Field>
          <Field label="From" error={errors.since}>
            {(p) => (
              <input
                {...p}
                type="datetime-local"
                value={draft.since}
                onChange={(e) => set("since", e.target.value)}
              />
            )}
          </Field>
          <Field label="Until" error={errors.until}>
            {(p) => (
              <input
                {...p}
                type="datetime-local"
                value={draft.until}
                onChange={(e) => set("until", e.target.value)}
              />
            )}
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <QueryStatus isPending={log.isPending} error={log.error} label="the audit log" />
      {log.data && rows.length === 0 && <p className="empty">No event matches these filters.</p>}
      {rows.length > 0 && (
        <TableWrap>
          <table aria-label="Audit events" className="cards">
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Resource</th>
                <th>Outcome</th>
                <th>From</th>
                <th>
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((event) => (
                <Fragment key={event.id}>
                  <tr>
                    <td data-label="When">{formatDate(event.at)}</td>
                    <td data-label="Actor">
                      {event.actor_name ?? <span className="muted">system</span>}
                    </td>
                    <td data-label="Action">
                      <code>{event.action}</code>
                    </td>
                    <td data-label="Resource">
                      {event.resource_type ?? "—"}
                      {event.resource_id ? ` #${event.resource_id}` : ""}
                    </td>
                    <td data-label="Outcome">
                      <span className={`badge ${event.success ? "success" : "error"}`}>
                        {event.success ? "ok" : "failed"}
                      </span>
                    </td>
                    <td data-label="From">
                      <small>{event.ip ?? "—"}</small>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="small"
                        aria-expanded={open.has(event.id)}
                        aria-label={`Details of event ${event.id}`}
                        onClick={() => toggle(event.id)}
                      >
                        {open.has(event.id) ? "Hide" : "Details"}
                      </button>
                    </td>
                  </tr>
                  {open.has(event.id) && (
                    <tr>
                      <td colSpan={7}>
                        <pre className="details-json">
                          {JSON.stringify(
                            {
                              details: event.details,
                              user_agent: event.user_agent,
                              actor_id: event.actor_id,
                            },
                            null,
                            2,
                          )}
                        </pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {log.hasNextPage && (
        <div className="pager">
          <button
            type="button"
            onClick={() => void log.fetchNextPage()}
            disabled={log.isFetchingNextPage}
          >
            {log.isFetchingNextPage ? "Loading…" : "Older events"}
          </button>
        </div>
      )}
    </section>
  );
}
