// Start a dashboard: blank (a name) or from a template (built-in, published or your own).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { FormEvent } from "react";

import { ApiError, errorMessage } from "../api/client";
import { applyTemplate, createLayout, useTemplates, type Layout, type Template } from "./api";
import { dashboardKeys } from "./keys";

export function NewDashboard({
  onCreated,
  autoFocus,
}: {
  onCreated: (layout: Layout, blank: boolean) => void;
  autoFocus?: boolean;
}) {
  const queryClient = useQueryClient();
  const nameId = useId();
  const templates = useTemplates();
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);

  const blank = useMutation({
    mutationFn: () => createLayout(name),
    onSuccess: async (layout) => {
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.list });
      onCreated(layout, true);
    },
    onError: (error) =>
      setNameError(
        error instanceof ApiError
          ? (error.fieldErrors().name ?? error.humanMessage())
          : errorMessage(error),
      ),
  });
  const fromTemplate = useMutation({
    mutationFn: (template: Template) => applyTemplate(template.id, name.trim() || template.name),
    onSuccess: async (layout) => {
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.list });
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.templates });
      onCreated(layout, false);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError("Give the dashboard a name");
      return;
    }
    setNameError(null);
    blank.mutate();
  }

  return (
    <div className="wd-new">
      <form className="wd-new-blank" onSubmit={submit} noValidate>
        <div className="wd-field">
          <label htmlFor={nameId}>Dashboard name</label>
          <input
            id={nameId}
            value={name}
            maxLength={100}
            autoFocus={autoFocus}
            data-autofocus
            placeholder="e.g. Operations"
            onChange={(e) => setName(e.target.value)}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? `${nameId}-error` : `${nameId}-help`}
          />
          {nameError ? (
            <span id={`${nameId}-error`} className="field-error" role="alert">
              {nameError}
            </span>
          ) : (
            <small id={`${nameId}-help`} className="muted">
              Also used for a template's copy (defaults to the template's name).
            </small>
          )}
        </div>
        <button type="submit" className="primary" disabled={blank.isPending}>
          {blank.isPending ? "Creating…" : "Create blank dashboard"}
        </button>
      </form>
      <h3>Or start from a template</h3>
      {templates.isPending && <p aria-busy="true">Loading templates…</p>}
      {templates.isError && (
        <p className="notice error" role="alert">
          {errorMessage(templates.error)}
        </p>
      )}
      {fromTemplate.isError && (
        <p className="notice error" role="alert">
          {errorMessage(fromTemplate.error)}
        </p>
      )}
      {templates.data?.length === 0 && <p className="muted">No templates available.</p>}
      <ul className="wd-templates" role="list">
        {templates.data?.map((template) => (
          <li key={template.id} className="card wd-template">
            <div>
              <strong>{template.name}</strong>{" "}
              <span className="badge">
                {template.builtin ? "built-in" : template.is_public ? "published" : "yours"}
              </span>
            </div>
            <p className="muted">{template.description || "No description."}</p>
            <small className="muted">
              {template.widget_count} widgets · used {template.usage_count}×
            </small>
            <button
              type="button"
              onClick={() => fromTemplate.mutate(template)}
              disabled={fromTemplate.isPending}
              aria-label={`Use template ${template.name}`}
            >
              {fromTemplate.isPending && fromTemplate.variables?.id === template.id
                ? "Creating…"
                : "Use template"}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
