// Save the current dashboard as a template (name, description): it is then listed with the
// others when a dashboard is started from a template. POST /api/dashboards/templates.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { FormEvent } from "react";

import { api, ApiError, errorMessage, unwrap } from "../api/client";
import { type Layout } from "./api";
import { dashboardKeys } from "./keys";
import { Dialog } from "../components/Dialog";

export function TemplateDialog({
  layout,
  onClose,
  onSaved,
}: {
  layout: Layout;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const queryClient = useQueryClient();
  const nameId = useId();
  const descriptionId = useId();
  const errorId = useId();
  const [name, setName] = useState(layout.name);
  const [description, setDescription] = useState(layout.description);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/dashboards/templates", {
          body: {
            layout_id: layout.id,
            name: name.trim(),
            description: description.trim(),
            category: "custom",
            is_public: false,
          },
        }),
      ),
    onSuccess: async (template) => {
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.templates });
      onSaved(template.name);
    },
    onError: (error) => setFieldErrors(error instanceof ApiError ? error.fieldErrors() : {}),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setFieldErrors({ name: "Give the template a name" });
      return;
    }
    setFieldErrors({});
    save.mutate();
  }

  const nameError = fieldErrors.name;
  const descriptionError = fieldErrors.description;
  const otherError =
    save.isError && !nameError && !descriptionError ? errorMessage(save.error) : null;
  return (
    <Dialog
      title="Save as template"
      onClose={onClose}
      description="A copy of this dashboard's widgets and their places, to start new dashboards from. Only you see it."
    >
      <form onSubmit={submit} noValidate>
        <div className="wd-field">
          <label htmlFor={nameId}>Template name</label>
          <input
            id={nameId}
            value={name}
            maxLength={100}
            onChange={(e) => {
              setName(e.target.value);
              setFieldErrors({});
            }}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? `${errorId}-name` : undefined}
            data-autofocus
          />
          {nameError && (
            <small id={`${errorId}-name`} className="field-error">
              {nameError}
            </small>
          )}
        </div>
        <div className="wd-field">
          <label htmlFor={descriptionId}>Description</label>
          <textarea
            id={descriptionId}
            value={description}
            rows={3}
            onChange={(e) => {
              setDescription(e.target.value);
              setFieldErrors({});
            }}
            aria-invalid={descriptionError ? true : undefined}
            aria-describedby={descriptionError ? `${errorId}-description` : undefined}
          />
          {descriptionError && (
            <small id={`${errorId}-description`} className="field-error">
              {descriptionError}
            </small>
          )}
        </div>
        {otherError && (
          <p className="form-error" role="alert">
            {otherError}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save template"}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
