import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import { api, ApiError, errorMessage, unwrap } from "../api/client";
import { useLayouts, type LayoutSummary } from "../dashboards/api";
import { dashboardKeys } from "../dashboards/keys";
import { ConfirmDialog, Dialog } from "../components/Dialog";
import { NewDashboard } from "../dashboards/NewDashboard";
import "../dashboards/dashboards.css";

type Dialogs =
  | { kind: "new" }
  | { kind: "rename"; layout: LayoutSummary }
  | { kind: "duplicate"; layout: LayoutSummary }
  | { kind: "delete"; layout: LayoutSummary }
  | null;

export function DashboardsPage() {
  const layouts = useLayouts();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialogs>(null);
  const [status, setStatus] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: dashboardKeys.all });

  const makeDefault = useMutation({
    mutationFn: (layout: LayoutSummary) =>
      unwrap(
        api.POST("/api/dashboards/{layout_id}/default", {
          params: { path: { layout_id: layout.id } },
        }),
      ),
    onSuccess: async (_, layout) => {
      await refresh();
      setStatus(`“${layout.name}” is now your default dashboard`);
    },
  });
  const remove = useMutation({
    mutationFn: (layout: LayoutSummary) =>
      unwrap(
        api.DELETE("/api/dashboards/{layout_id}", { params: { path: { layout_id: layout.id } } }),
      ),
    onSuccess: async (_, layout) => {
      await refresh();
      setStatus(`Deleted “${layout.name}”`);
      setDialog(null);
    },
  });

  return (
    <section className="page" aria-labelledby="dashboards-title">
      <div className="page-header">
        <h1 id="dashboards-title">Dashboards</h1>
        <div className="toolbar">
          <button type="button" className="primary" onClick={() => setDialog({ kind: "new" })}>
            + New dashboard
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" className="muted">
        {status}
      </p>
      {makeDefault.isError && (
        <p className="notice error" role="alert">
          {errorMessage(makeDefault.error)}
        </p>
      )}
      {layouts.isPending && <p aria-busy="true">Loading dashboards…</p>}
      {layouts.isError && (
        <p className="notice error" role="alert">
          {errorMessage(layouts.error)}{" "}
          <button type="button" className="small" onClick={() => void layouts.refetch()}>
            Try again
          </button>
        </p>
      )}
      {layouts.data?.length === 0 && (
        <div className="card">
          <h2>No dashboards yet</h2>
          <p className="muted">Start blank or from a template.</p>
          <NewDashboard
            onCreated={(layout, blank) =>
              navigate(`/dashboards/${layout.id}${blank ? "?edit=1" : ""}`)
            }
          />
        </div>
      )}
      {layouts.data && layouts.data.length > 0 && (
        <ul className="wd-cards" role="list">
          {layouts.data.map((layout) => (
            <li key={layout.id} className="card wd-card" aria-labelledby={`layout-${layout.id}`}>
              <div className="wd-card-head">
                <h2 id={`layout-${layout.id}`}>
                  <Link to={`/dashboards/${layout.id}`}>{layout.name}</Link>
                </h2>
                <button
                  type="button"
                  className="ghost wd-star"
                  aria-pressed={layout.is_default}
                  aria-label={
                    layout.is_default
                      ? `${layout.name} is your default dashboard`
                      : `Make ${layout.name} your default dashboard`
                  }
                  title={layout.is_default ? "Default dashboard (shown on Home)" : "Make default"}
                  disabled={layout.is_default || makeDefault.isPending}
                  onClick={() => makeDefault.mutate(layout)}
                >
                  {layout.is_default ? "★" : "☆"}
                </button>
              </div>
              {layout.description && <p className="muted">{layout.description}</p>}
              <p className="wd-card-meta">
                <span>
                  {layout.widget_count} {layout.widget_count === 1 ? "widget" : "widgets"}
                </span>
                {layout.is_default && <span className="badge info">Default</span>}
                {layout.shared && <span className="badge success">Shared</span>}
              </p>
              <small className="muted">
                Updated {new Date(layout.updated_at).toLocaleString()}
              </small>
              <div className="toolbar wd-card-actions">
                <Link
                  className="button small"
                  to={`/dashboards/${layout.id}`}
                  aria-label={`Open ${layout.name}`}
                >
                  Open
                </Link>
                <button
                  type="button"
                  className="small"
                  onClick={() => setDialog({ kind: "rename", layout })}
                  aria-label={`Rename ${layout.name}`}
                >
                  Rename
                </button>
                <button
                  type="button"
                  className="small"
                  onClick={() => setDialog({ kind: "duplicate", layout })}
                  aria-label={`Duplicate ${layout.name}`}
                >
                  Duplicate
                </button>
                <button
                  type="button"
                  className="small danger"
                  onClick={() => setDialog({ kind: "delete", layout })}
                  aria-label={`Delete ${layout.name}`}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {dialog?.kind === "new" && (
        <Dialog title="New dashboard" onClose={() => setDialog(null)} wide>
          <NewDashboard
            onCreated={(layout, blank) =>
              navigate(`/dashboards/${layout.id}${blank ? "?edit=1" : ""}`)
            }
          />
        </Dialog>
      )}
      {(dialog?.kind === "rename" || dialog?.kind === "duplicate") && (
        <NameDialog
          key={`${dialog.kind}-${dialog.layout.id}`}
          kind={dialog.kind}
          layout={dialog.layout}
          onClose={() => setDialog(null)}
          onDone={async (message, id) => {
            await refresh();
            setStatus(message);
            setDialog(null);
            if (id !== undefined) navigate(`/dashboards/${id}`);
          }}
        />
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog
          title="Delete dashboard"
          message={`Delete “${dialog.layout.name}” and its ${dialog.layout.widget_count} widgets? Its share link stops working. This cannot be undone.`}
          confirmLabel="Delete dashboard"
          busy={remove.isPending}
          error={remove.isError ? errorMessage(remove.error) : null}
          onConfirm={() => remove.mutate(dialog.layout)}
          onClose={() => {
            remove.reset();
            setDialog(null);
          }}
        />
      )}
    </section>
  );
}

function NameDialog({
  kind,
  layout,
  onClose,
  onDone,
}: {
  kind: "rename" | "duplicate";
  layout: LayoutSummary;
  onClose: () => void;
  onDone: (message: string, openId?: number) => Promise<void>;
}) {
  const [name, setName] = useState(kind === "rename" ? layout.name : `${layout.name} (copy)`);
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () =>
      kind === "rename"
        ? unwrap(
            api.PATCH("/api/dashboards/{layout_id}", {
              params: { path: { layout_id: layout.id } },
              body: { name },
            }),
          )
        : unwrap(
            api.POST("/api/dashboards/{layout_id}/duplicate", {
              params: { path: { layout_id: layout.id } },
              body: { name },
            }),
          ),
    onSuccess: (saved) =>
      onDone(
        kind === "rename" ? `Renamed to “${saved.name}”` : `Created “${saved.name}”`,
        kind === "duplicate" ? saved.id : undefined,
      ),
    onError: (err) =>
      setError(
        err instanceof ApiError
          ? (err.fieldErrors().name ?? err.humanMessage())
          : errorMessage(err),
      ),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError("Give the dashboard a name");
      return;
    }
    save.mutate();
  }

  return (
    <Dialog
      title={kind === "rename" ? `Rename “${layout.name}”` : `Duplicate “${layout.name}”`}
      onClose={onClose}
    >
      <form onSubmit={submit} noValidate>
        <div className="wd-field">
          <label htmlFor="layout-name">Name</label>
          <input
            id="layout-name"
            value={name}
            maxLength={100}
            data-autofocus
            onChange={(e) => setName(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "layout-name-error" : undefined}
          />
          {error && (
            <span id="layout-name-error" className="field-error" role="alert">
              {error}
            </span>
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : kind === "rename" ? "Rename" : "Duplicate"}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
