// One widget on the grid: its title bar (with edit controls in edit mode) and its content in
// one of four states — loading, error (the API's per-widget error), empty or data.
import type { KeyboardEvent } from "react";

import { useScrollFocus } from "../components/useScrollFocus";

import { errorMessage } from "../api/client";
import { useWidgetData, type WidgetData } from "./api";
import { RenderWidget } from "./renderers";

export interface CardWidget {
  id: number;
  type: string;
  title: string;
  config: Record<string, unknown>;
}

interface EditControls {
  onEdit: () => void;
  onRemove: () => void;
  /** Arrow keys move, Shift+arrows resize (handled by the editor). */
  onHandleKey: (event: KeyboardEvent<HTMLButtonElement>) => void;
}

interface CardProps {
  widget: CardWidget;
  result?: WidgetData;
  loading?: boolean;
  error?: unknown;
  fetching?: boolean;
  shared?: boolean;
  edit?: EditControls;
}

export function WidgetCard({ widget, result, loading, error, fetching, shared, edit }: CardProps) {
  const title = widget.title || widget.type;
  const headingId = `widget-${widget.id}-title`;
  const body = useScrollFocus<HTMLDivElement>();
  return (
    <article
      className="wd-widget"
      aria-labelledby={headingId}
      data-type={widget.type}
      aria-busy={loading || undefined}
    >
      <header className="wd-widget-header">
        {edit && (
          <button
            type="button"
            className="wd-drag-handle ghost small"
            aria-label={`Move ${title}`}
            aria-describedby="wd-move-help"
            title="Drag to move · arrow keys move · Shift+arrows resize"
            onKeyDown={edit.onHandleKey}
          >
            ⠿
          </button>
        )}
        <h3 id={headingId} className="wd-widget-title">
          {title}
        </h3>
        {fetching && !loading && (
          <span className="wd-refreshing" aria-hidden="true" title="Refreshing" />
        )}
        {result?.status === "ok" && result.cached && result.fetched_at && (
          <span className="visually-hidden">
            Updated {new Date(result.fetched_at).toLocaleTimeString()}
          </span>
        )}
        {edit && (
          <span className="wd-widget-tools">
            <button
              type="button"
              className="ghost small"
              onClick={edit.onEdit}
              aria-label={`Edit ${title}`}
              title="Edit"
            >
              <span aria-hidden="true">✎</span>
            </button>
            <button
              type="button"
              className="ghost small danger"
              onClick={edit.onRemove}
              aria-label={`Remove ${title}`}
              title="Remove"
            >
              <span aria-hidden="true">✕</span>
            </button>
          </span>
        )}
      </header>
      <div className="wd-widget-body" ref={body}>
        {loading ? (
          <div className="wd-loading" role="status">
            <span className="wd-skeleton" />
            <span className="visually-hidden">Loading {title}…</span>
          </div>
        ) : error ? (
          <WidgetError code="request_failed" message={errorMessage(error)} />
        ) : result?.status === "error" ? (
          <WidgetError
            code={result.error?.code ?? "error"}
            message={result.error?.message ?? "Unknown error"}
          />
        ) : result ? (
          <RenderWidget
            type={widget.type}
            widgetId={widget.id}
            title={title}
            config={widget.config}
            data={result.data}
            shared={shared}
          />
        ) : null}
      </div>
    </article>
  );
}

function WidgetError({ code, message }: { code: string; message: string }) {
  return (
    <div className="wd-error" role="alert">
      <strong>Can’t show this widget</strong>
      <span>{message}</span>
      <code className="muted">{code}</code>
    </div>
  );
}

/** A card that fetches its own data and refreshes on the source's interval. */
export function LiveWidgetCard({ widget, edit }: { widget: CardWidget; edit?: EditControls }) {
  const query = useWidgetData(widget.id);
  return (
    <WidgetCard
      widget={widget}
      result={query.data}
      loading={query.isPending}
      error={query.isError && !query.data ? query.error : undefined}
      fetching={query.isFetching}
      edit={edit}
    />
  );
}
