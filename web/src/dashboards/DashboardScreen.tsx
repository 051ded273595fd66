// A dashboard of the signed-in user: live widgets in view mode; in edit mode drag, resize,
// keyboard moves, add/edit/remove widgets. Used by /dashboards/:id and (view only) by Home.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import type { KeyboardEvent } from "react";
import { Link } from "react-router-dom";

import { api, errorMessage, unwrap } from "../api/client";
import {
  effectiveGrid,
  useDashboardPreferences,
  useWidgetTypes,
  type Layout,
  type Widget,
} from "./api";
import { dashboardKeys } from "./keys";
import { DashboardGrid } from "./DashboardGrid";
import { DisplayDialog } from "./DisplayDialog";
import { ConfirmDialog } from "../components/Dialog";
import { nudge, type Limits } from "./layout";
import { ShareDialog } from "./ShareDialog";
import { TemplateDialog } from "./TemplateDialog";
import { useArrangement } from "./useArrangement";
import { LiveWidgetCard } from "./WidgetCard";
import { WidgetDialog } from "./WidgetDialog";
import "./dashboards.css";

const KEY_STEPS: Record<string, { dx?: number; dy?: number }> = {
  ArrowLeft: { dx: -1 },
  ArrowRight: { dx: 1 },
  ArrowUp: { dy: -1 },
  ArrowDown: { dy: 1 },
};

type Dialogs =
  | { kind: "add" }
  | { kind: "edit"; widget: Widget }
  | { kind: "remove"; widget: Widget }
  | { kind: "share" }
  | { kind: "display" }
  | { kind: "template" }
  | null;

export function DashboardScreen({
  layout,
  editable = true,
  initiallyEditing = false,
  heading = "h1",
}: {
  layout: Layout;
  editable?: boolean;
  initiallyEditing?: boolean;
  heading?: "h1" | "h2";
}) {
  const queryClient = useQueryClient();
  const types = useWidgetTypes();
  const preferences = useDashboardPreferences();
  const grid = effectiveGrid(layout.grid, preferences.data);
  const theme = preferences.data?.theme;
  const [editing, setEditing] = useState(initiallyEditing && editable);
  const [dialog, setDialog] = useState<Dialogs>(null);
  const [announcement, setAnnouncement] = useState("");
  const [savedTemplate, setSavedTemplate] = useState<string | null>(null);
  const { arrangement, arrange, flush, state, error, dismissError } = useArrangement(layout);

  const limitsByType = useMemo(() => {
    const map = new Map<string, Limits>();
    for (const type of types.data ?? [])
      map.set(type.type, { min: type.min_size, max: type.max_size });
    return map;
  }, [types.data]);
  const limits = useCallback((type: string) => limitsByType.get(type), [limitsByType]);

  const setDefault = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/dashboards/{layout_id}/default", {
          params: { path: { layout_id: layout.id } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: dashboardKeys.all }),
  });
  const remove = useMutation({
    mutationFn: (widget: Widget) =>
      unwrap(
        api.DELETE("/api/dashboards/widgets/{widget_id}", {
          params: { path: { widget_id: widget.id } },
        }),
      ),
    onSuccess: async (_, widget) => {
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.layout(layout.id) });
      void queryClient.invalidateQueries({ queryKey: dashboardKeys.list });
      setAnnouncement(`Removed ${widget.title || widget.type}`);
      setDialog(null);
    },
  });

  function onHandleKey(widget: Widget, event: KeyboardEvent<HTMLButtonElement>) {
    const step = KEY_STEPS[event.key];
    if (!step) return;
    event.preventDefault();
    const move = event.shiftKey ? { dw: step.dx, dh: step.dy } : step;
    const next = nudge(
      arrangement,
      widget.id,
      move,
      layout.grid.columns,
      limitsByType.get(widget.type),
    );
    const name = widget.title || widget.type;
    if (!next) {
      setAnnouncement(
        event.shiftKey ? `${name} cannot be resized that way` : `${name} cannot move there`,
      );
      return;
    }
    arrange(next);
    // The grid lists widgets in reading order: a move that reorders them re-inserts this one's
    // cell, which can drop the focus; keep it on the handle so the next arrow key still works.
    const handle = event.currentTarget;
    window.requestAnimationFrame(() => {
      if (document.activeElement !== handle && document.contains(handle)) handle.focus();
    });
    const box = next.get(widget.id)!;
    setAnnouncement(
      event.shiftKey
        ? `${name} is now ${box.w} columns wide and ${box.h} rows tall`
        : `${name} moved to column ${box.x + 1}, row ${box.y + 1}`,
    );
  }

  const Heading = heading;
  const busyLabel = {
    idle: "",
    pending: "Unsaved changes…",
    saving: "Saving…",
    saved: "All changes saved",
    error: "",
  }[state];

  return (
    <section
      className={`wd-dashboard${theme && theme !== "auto" ? ` wd-theme-${theme}` : ""}${
        preferences.data?.compact_mode ? " compact" : ""
      }`}
      aria-labelledby="dashboard-title"
    >
      <div className="page-header">
        <div>
          <Heading id="dashboard-title">{layout.name}</Heading>
          {layout.description && <p className="muted wd-description">{layout.description}</p>}
        </div>
        <div className="toolbar">
          {layout.is_default ? (
            <span className="badge info" title="Shown on your home page">
              ★ Default
            </span>
          ) : (
            editable && (
              <button
                type="button"
                onClick={() => setDefault.mutate()}
                disabled={setDefault.isPending}
              >
                ☆ Make default
              </button>
            )
          )}
          {!editable && (
            <Link className="button" to={`/dashboards/${layout.id}`}>
              Open dashboard
            </Link>
          )}
          {editable && (
            <>
              <button type="button" onClick={() => setDialog({ kind: "share" })}>
                {layout.shared ? "Shared · manage link" : "Share"}
              </button>
              <button type="button" onClick={() => setDialog({ kind: "template" })}>
                Save as template
              </button>
              {preferences.data && (
                <button type="button" onClick={() => setDialog({ kind: "display" })}>
                  Display
                </button>
              )}
              {editing && (
                <button type="button" onClick={() => setDialog({ kind: "add" })}>
                  + Add widget
                </button>
              )}
              <button
                type="button"
                className={editing ? "primary" : ""}
                aria-pressed={editing}
                onClick={() => {
                  if (editing) void flush();
                  setEditing(!editing);
                }}
              >
                {editing ? "Done editing" : "Edit layout"}
              </button>
            </>
          )}
        </div>
      </div>
      <p className="wd-save-state muted" role="status" aria-live="polite">
        {busyLabel}
      </p>
      {savedTemplate && (
        <div className="notice success wd-template-saved" role="status">
          <span>
            Saved as template “{savedTemplate}”: choose it under{" "}
            <Link to="/dashboards">New dashboard</Link>.
          </span>
          <button type="button" className="ghost small" onClick={() => setSavedTemplate(null)}>
            Dismiss
          </button>
        </div>
      )}
      {setDefault.isError && (
        <p className="notice error" role="alert">
          {errorMessage(setDefault.error)}
        </p>
      )}
      {error && (
        <div className="notice error wd-save-error" role="alert">
          <span>Your change was not saved: {error}</span>
          <button type="button" className="ghost small" onClick={dismissError}>
            Dismiss
          </button>
        </div>
      )}
      {editing && (
        <p id="wd-move-help" className="muted wd-edit-help">
          Drag a widget by its ⠿ handle or resize it from its lower-right corner. With the handle
          focused, the arrow keys move it and Shift+arrows resize it. Changes save automatically.
        </p>
      )}
      <p className="visually-hidden" aria-live="assertive">
        {announcement}
      </p>
      {layout.widgets.length === 0 ? (
        <div className="card wd-empty-dashboard">
          <p>This dashboard has no widgets yet.</p>
          {editable && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setEditing(true);
                setDialog({ kind: "add" });
              }}
            >
              + Add a widget
            </button>
          )}
        </div>
      ) : (
        <DashboardGrid
          label={`${layout.name} widgets`}
          grid={grid}
          widgets={layout.widgets}
          arrangement={arrangement}
          editing={editing}
          showGrid={editing && !!preferences.data?.show_grid}
          limits={limits}
          onArrange={arrange}
          renderWidget={(widget) => (
            <LiveWidgetCard
              widget={widget}
              edit={
                editing
                  ? {
                      onEdit: () => setDialog({ kind: "edit", widget }),
                      onRemove: () => setDialog({ kind: "remove", widget }),
                      onHandleKey: (event) => onHandleKey(widget, event),
                    }
                  : undefined
              }
            />
          )}
        />
      )}
      {dialog?.kind === "add" && (
        <WidgetDialog
          layoutId={layout.id}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            setAnnouncement("Widget added");
          }}
        />
      )}
      {dialog?.kind === "edit" && (
        <WidgetDialog
          layoutId={layout.id}
          widget={dialog.widget}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            setAnnouncement("Widget saved");
          }}
        />
      )}
      {dialog?.kind === "remove" && (
        <ConfirmDialog
          title="Remove widget"
          message={`Remove “${dialog.widget.title || dialog.widget.type}” from this dashboard?`}
          confirmLabel="Remove widget"
          busy={remove.isPending}
          error={remove.isError ? errorMessage(remove.error) : null}
          onConfirm={() => remove.mutate(dialog.widget)}
          onClose={() => {
            remove.reset();
            setDialog(null);
          }}
        />
      )}
      {dialog?.kind === "share" && <ShareDialog layout={layout} onClose={() => setDialog(null)} />}
      {dialog?.kind === "display" && preferences.data && (
        <DisplayDialog preferences={preferences.data} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === "template" && (
        <TemplateDialog
          layout={layout}
          onClose={() => setDialog(null)}
          onSaved={(name) => {
            setDialog(null);
            setAnnouncement(`Saved as template “${name}”`);
            setSavedTemplate(name);
          }}
        />
      )}
    </section>
  );
}
