// Add a widget from the catalogue, or edit one: title + a config form generated from the type's
// JSON Schema. Validation messages from the server appear next to the field they concern.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import type { FormEvent, RefObject } from "react";

import { api, ApiError, errorMessage, unwrap } from "../api/client";
import { useDataSources, useWidgetTypes, type Layout, type Widget, type WidgetType } from "./api";
import { dashboardKeys } from "./keys";
import { Dialog } from "../components/Dialog";
import { SchemaForm } from "./SchemaForm";
import {
  cleanValues,
  fieldsFromSchema,
  initialValues,
  knownPaths,
  serverErrors,
  setPath,
  validate,
  type JsonSchema,
  type Values,
} from "./schemaForm";

interface Props {
  layoutId: number;
  /** Edit this widget; without it, pick a type from the catalogue and add one. */
  widget?: Widget;
  onClose: () => void;
  onSaved: (layout: Layout | null) => void;
}

export function WidgetDialog({ layoutId, widget, onClose, onSaved }: Props) {
  const types = useWidgetTypes();
  const [chosen, setChosen] = useState<string | null>(widget?.type ?? null);
  const type = types.data?.find((t) => t.type === chosen);

  return (
    <Dialog
      title={
        widget
          ? `Edit “${widget.title || widget.type}”`
          : type
            ? `Add a ${type.title} widget`
            : "Add a widget"
      }
      onClose={onClose}
      wide
    >
      {types.isPending && <p aria-busy="true">Loading widget types…</p>}
      {types.isError && (
        <p className="notice error" role="alert">
          {errorMessage(types.error)}
        </p>
      )}
      {types.data && !type && <Catalogue types={types.data} onPick={setChosen} />}
      {type && (
        <WidgetForm
          key={type.type}
          type={type}
          layoutId={layoutId}
          widget={widget}
          onBack={widget ? undefined : () => setChosen(null)}
          onClose={onClose}
          onSaved={onSaved}
        />
      )}
    </Dialog>
  );
}

/** Moving between the catalogue and the form keeps the focus inside the dialog. */
function useAutofocus(ref: RefObject<HTMLElement | null>) {
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("[data-autofocus]")?.focus();
  }, [ref]);
}

function Catalogue({ types, onPick }: { types: WidgetType[]; onPick: (type: string) => void }) {
  const box = useRef<HTMLDivElement>(null);
  useAutofocus(box);
  const groups = useMemo(() => {
    const map = new Map<string, WidgetType[]>();
    for (const type of types) map.set(type.category, [...(map.get(type.category) ?? []), type]);
    return [...map.entries()];
  }, [types]);
  return (
    <div className="wd-catalogue" ref={box}>
      {groups.map(([category, list], groupIndex) => (
        <section key={category} aria-labelledby={`cat-${category}`}>
          <h3 id={`cat-${category}`}>{category.charAt(0).toUpperCase() + category.slice(1)}</h3>
          <ul className="wd-type-list" role="list">
            {list.map((type, index) => (
              <li key={type.type}>
                <button
                  type="button"
                  className="wd-type"
                  onClick={() => onPick(type.type)}
                  data-autofocus={groupIndex === 0 && index === 0 ? true : undefined}
                  aria-describedby={`type-${type.type}-desc`}
                >
                  <strong>{type.title}</strong>
                  <span id={`type-${type.type}-desc`} className="muted">
                    {type.description}
                  </span>
                  <small className="muted">
                    {type.default_size.w}×{type.default_size.h}
                    {type.personal ? " · personal (not shared)" : ""}
                  </small>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function WidgetForm({
  type,
  layoutId,
  widget,
  onBack,
  onClose,
  onSaved,
}: {
  type: WidgetType;
  layoutId: number;
  widget?: Widget;
  onBack?: () => void;
  onClose: () => void;
  onSaved: Props["onSaved"];
}) {
  const queryClient = useQueryClient();
  const needsSource =
    type.source_kinds.length > 0 &&
    "source" in ((type.config_schema as JsonSchema).properties ?? {});
  const sources = useDataSources(needsSource);
  const sourceOptions = useMemo(
    () =>
      needsSource && sources.data
        ? sources.data
            .filter((s) => type.source_kinds.includes(s.kind))
            .map((s) => ({ value: s.uid, label: `${s.name} (${s.kind})` }))
        : undefined,
    [needsSource, sources.data, type.source_kinds],
  );
  const fields = useMemo(
    () => fieldsFromSchema(type.config_schema as JsonSchema, "config", { sources: sourceOptions }),
    [type.config_schema, sourceOptions],
  );
  const [title, setTitle] = useState(widget?.title ?? type.title);
  const [values, setValues] = useState<Values>(() =>
    initialValues(type.default_config, widget?.config),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const box = useRef<HTMLFormElement>(null);
  useAutofocus(box);

  const save = useMutation({
    mutationFn: async (config: Values) => {
      if (widget) {
        return unwrap(
          api.PATCH("/api/dashboards/widgets/{widget_id}", {
            params: { path: { widget_id: widget.id } },
            body: { title, config },
          }),
        );
      }
      return unwrap(
        api.POST("/api/dashboards/{layout_id}/widgets", {
          params: { path: { layout_id: layoutId } },
          body: { type: type.type, title, config },
        }),
      );
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.layout(layoutId) });
      await queryClient.invalidateQueries({ queryKey: dashboardKeys.list });
      void queryClient.invalidateQueries({ queryKey: dashboardKeys.data(saved.id) });
      onSaved(queryClient.getQueryData<Layout>(dashboardKeys.layout(layoutId)) ?? null);
    },
    onError: (error) => {
      if (error instanceof ApiError) {
        const mapped = serverErrors(
          error.fieldErrors(),
          new Set([...knownPaths(fields, values), "title"]),
        );
        if (Object.keys(mapped).length === 0) mapped[""] = error.message;
        else if (
          !mapped[""] &&
          !Object.keys(mapped).some((k) => k.startsWith("config") || k === "title")
        )
          mapped[""] = error.message;
        setErrors(mapped);
      } else setErrors({ "": errorMessage(error) });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const local = validate(fields, values);
    if (Object.keys(local).length > 0) {
      setErrors(local);
      // Take the user to the first problem.
      requestAnimationFrame(() =>
        (event.target as HTMLFormElement)
          .querySelector<HTMLElement>("[aria-invalid='true']")
          ?.focus(),
      );
      return;
    }
    setErrors({});
    save.mutate(cleanValues(fields, values));
  }

  return (
    <form ref={box} onSubmit={submit} noValidate aria-label={`${type.title} settings`}>
      <p className="muted">{type.description}</p>
      {needsSource && sources.data && sourceOptions?.length === 0 && (
        <p className="notice">
          No data source of kind {type.source_kinds.join(" or ")} exists yet. An administrator can
          add one (see the dashboards documentation, “Data sources”).
        </p>
      )}
      <div className="wd-field">
        <label htmlFor="widget-title">Title</label>
        <input
          id="widget-title"
          value={title}
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
          data-autofocus
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={errors.title ? "widget-title-error" : undefined}
        />
        {errors.title && (
          <span id="widget-title-error" className="field-error" role="alert">
            {errors.title}
          </span>
        )}
      </div>
      <SchemaForm
        fields={fields}
        values={values}
        errors={errors}
        onChange={(path, value) => setValues((old) => setPath(old, path, value))}
      />
      {(errors[""] || errors.config) && (
        <p className="form-error" role="alert">
          {errors[""] ?? errors.config}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : widget ? "Save widget" : "Add widget"}
        </button>
        {onBack && (
          <button type="button" onClick={onBack}>
            Back to catalogue
          </button>
        )}
        <button type="button" className="ghost" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
