import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { ApiError, api, errorMessage, unwrap, type Schemas } from "../api/client";
import { NOTIFICATION_TYPES, PRIORITIES } from "../api/enums";
import { ConfirmDialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { useDebounced } from "../components/useDebounced";
import { TableWrap } from "../components/TableWrap";
import { adminKeys } from "./keys";

type Template = Schemas["wakedock__notifications__templates__schemas__TemplateOut"];
type Body = Schemas["TemplateIn"];

const PARTS = [
  ["title_template", "Title", "input"],
  ["message_template", "Message", "textarea"],
  ["action_url_template", "Action URL", "input"],
  ["email_subject_template", "E-mail subject", "input"],
  ["email_html_template", "E-mail HTML (variables are HTML-escaped)", "textarea"],
] as const;
type Part = (typeof PARTS)[number][0];

interface Draft {
  name: string;
  description: string;
  type: string;
  priority: string;
  ttl: string;
  parts: Record<Part, string>;
}

function toDraft(t: Template | null): Draft {
  return {
    name: t?.name ?? "",
    description: t?.description ?? "",
    type: t?.type ?? "info",
    priority: t?.priority ?? "normal",
    ttl: t?.default_ttl_seconds ? String(t.default_ttl_seconds) : "",
    parts: {
      title_template: t?.title_template ?? "",
      message_template: t?.message_template ?? "",
      action_url_template: t?.action_url_template ?? "",
      email_subject_template: t?.email_subject_template ?? "",
      email_html_template: t?.email_html_template ?? "",
    },
  };
}

function toBody(d: Draft): Body {
  const ttl = d.ttl.trim();
  return {
    name: d.name.trim(),
    description: d.description || null,
    type: d.type as Body["type"],
    priority: d.priority as Body["priority"],
    default_ttl_seconds: (ttl === "" ? null : /^\d+$/.test(ttl) ? Number(ttl) : ttl) as
      number | null,
    title_template: d.parts.title_template,
    message_template: d.parts.message_template,
    action_url_template: d.parts.action_url_template || null,
    email_subject_template: d.parts.email_subject_template || null,
    email_html_template: d.parts.email_html_template || null,
  };
}

/** Renders the template as edited (saved or not) with the sample variables, as you type
 *  (debounced). */
function Preview({ draft, variables }: { draft: Draft; variables: string }) {
  const settled = useDebounced(variables, 300);
  const { name: _name, description: _description, ...template } = toBody(useDebounced(draft, 300));
  let parsed: Record<string, unknown> | null = null;
  let jsonError: string | null = null;
  try {
    const value: unknown = JSON.parse(settled || "{}");
    if (value && typeof value === "object" && !Array.isArray(value))
      parsed = value as Record<string, unknown>;
    else jsonError = 'Sample variables must be a JSON object, like {"service": "web"}.';
  } catch (error) {
    jsonError = `Sample variables are not valid JSON: ${errorMessage(error)}`;
  }
  const preview = useQuery({
    queryKey: adminKeys.templatePreview(template, parsed),
    enabled: parsed !== null && template.title_template.trim() !== "",
    retry: false,
    staleTime: 0,
    queryFn: () =>
      unwrap(
        api.POST("/api/notifications/templates/preview", {
          body: { template, variables: parsed ?? {} },
        }),
      ),
  });
  const failure = preview.error instanceof ApiError ? preview.error : null;
  return (
    <div className="preview" aria-live="polite" aria-label="Live preview" role="region">
      <h3>Preview {preview.isFetching && <small className="muted">(updating…)</small>}</h3>
      {jsonError && (
        <p className="field-error" role="alert">
          {jsonError}
        </p>
      )}
      {!jsonError && failure && (
        <p className="field-error" role="alert" data-testid="preview-error">
          {failure.message}
        </p>
      )}
      {!jsonError && preview.error && !failure && (
        <p className="field-error" role="alert">
          {errorMessage(preview.error)}
        </p>
      )}
      {!jsonError && preview.data && !preview.error && (
        <dl className="preview-body" data-testid="preview">
          <dt>Title</dt>
          <dd data-testid="preview-title">{preview.data.title}</dd>
          <dt>Message</dt>
          <dd>
            <pre>{preview.data.message || "—"}</pre>
          </dd>
          {preview.data.action_url && (
            <>
              <dt>Action URL</dt>
              <dd>{preview.data.action_url}</dd>
            </>
          )}
          {preview.data.email_subject && (
            <>
              <dt>E-mail subject</dt>
              <dd>{preview.data.email_subject}</dd>
            </>
          )}
          {preview.data.email_html && (
            <>
              <dt>E-mail HTML (source)</dt>
              <dd>
                <pre>{preview.data.email_html}</pre>
              </dd>
            </>
          )}
          <dt>Type / priority</dt>
          <dd>
            <span className="badge">{preview.data.type}</span>{" "}
            <span className="badge">{preview.data.priority}</span>
          </dd>
        </dl>
      )}
    </div>
  );
}

function Editor({
  initial,
  onSaved,
  onDeleted,
  variables,
  setVariables,
}: {
  initial: Template | null;
  onSaved: (t: Template) => void;
  onDeleted: () => void;
  variables: string;
  setVariables: (value: string) => void;
}) {
  const queryClient = useQueryClient();
  const [template, setTemplate] = useState(initial);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [draft, setDraft] = useState(() => toDraft(initial));
  const dirty = JSON.stringify(toBody(draft)) !== JSON.stringify(toBody(toDraft(template)));
  const save = useMutation({
    mutationFn: () =>
      template
        ? unwrap(
            api.PUT("/api/notifications/templates/{name}", {
              params: { path: { name: template.name } },
              body: toBody(draft),
            }),
          )
        : unwrap(api.POST("/api/notifications/templates", { body: toBody(draft) })),
    onSuccess: (saved) => {
      setTemplate(saved);
      setDraft(toDraft(saved));
      void queryClient.invalidateQueries({ queryKey: adminKeys.templates });
      onSaved(saved);
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/notifications/templates/{name}", {
          params: { path: { name: template!.name } },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.templates });
      onDeleted();
    },
  });
  const errors = fieldErrorsOf(save.error);
  const known = [
    "name",
    "description",
    "type",
    "priority",
    "default_ttl_seconds",
    ...PARTS.map((p) => p[0]),
  ];
  const other = unplacedError(save.error, known);
  const setPart = (part: Part, value: string) =>
    setDraft((d) => ({ ...d, parts: { ...d.parts, [part]: value } }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <div className="split">
      <form className="card stack" onSubmit={submit} noValidate aria-label="Template editor">
        <div className="form-grid">
          <Field
            label="Name"
            error={errors.name}
            hint={template ? "The name cannot change." : "Letters, digits, . _ -"}
          >
            {(p) => (
              <input
                {...p}
                value={draft.name}
                disabled={template !== null}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              />
            )}
          </Field>
          <Field label="Type" error={errors.type}>
            {(p) => (
              <select
                {...p}
                value={draft.type}
                onChange={(e) => setDraft({ ...draft, type: e.target.value })}
              >
                {NOTIFICATION_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Priority" error={errors.priority}>
            {(p) => (
              <select
                {...p}
                value={draft.priority}
                onChange={(e) => setDraft({ ...draft, priority: e.target.value })}
              >
                {PRIORITIES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Default time to live (seconds)" error={errors.default_ttl_seconds}>
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                value={draft.ttl}
                placeholder="Never expires"
                onChange={(e) => setDraft({ ...draft, ttl: e.target.value })}
              />
            )}
          </Field>
        </div>
        <Field label="Description" error={errors.description}>
          {(p) => (
            <input
              {...p}
              value={draft.description}
              onChange={(e) => setDraft({ ...draft, description: e.target.value })}
            />
          )}
        </Field>
        {PARTS.map(([part, label, kind]) => (
          <Field key={part} label={`${label} template`} error={errors[part]}>
            {(p) =>
              kind === "textarea" ? (
                <textarea
                  {...p}
                  spellCheck={false}
                  value={draft.parts[part]}
                  onChange={(e) => setPart(part, e.target.value)}
                />
              ) : (
                <input
                  {...p}
                  spellCheck={false}
                  className="mono"
                  value={draft.parts[part]}
                  onChange={(e) => setPart(part, e.target.value)}
                />
              )
            }
          </Field>
        ))}
        <small className="muted">
          Jinja2: <code>{"{{ service }}"}</code>,{" "}
          <code>{"{% if version is defined %}…{% endif %}"}</code>. A missing variable is an error.
        </small>
        {other && (
          <p className="form-error" role="alert">
            {other}
          </p>
        )}
        {remove.error && (
          <p className="form-error" role="alert">
            Could not delete: {errorMessage(remove.error)}
          </p>
        )}
        <div className="form-actions">
          <button
            type="submit"
            className="primary"
            disabled={save.isPending || (template !== null && !dirty)}
          >
            {save.isPending ? "Saving…" : template ? "Save template" : "Create template"}
          </button>
          {template && (
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => setConfirmDelete(true)}
            >
              Delete
            </button>
          )}
          <span role="status">{dirty && <span className="unsaved">Unsaved changes</span>}</span>
        </div>
      </form>
      {confirmDelete && template && (
        <ConfirmDialog
          title={`Delete the template ${template.name}?`}
          message="Notifications and broadcasts can no longer use it."
          confirmLabel="Delete template"
          onConfirm={() => {
            remove.mutate();
            setConfirmDelete(false);
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
      <div className="stack">
        <Field label="Sample variables (JSON)" hint="The preview re-renders as you type.">
          {(p) => (
            <textarea
              {...p}
              spellCheck={false}
              value={variables}
              onChange={(e) => setVariables(e.target.value)}
            />
          )}
        </Field>
        <Preview draft={draft} variables={variables} />
      </div>
    </div>
  );
}

export function TemplatesAdmin() {
  const list = useQuery({
    queryKey: adminKeys.templates,
    queryFn: () => unwrap(api.GET("/api/notifications/templates")),
  });
  const [selected, setSelected] = useState<string | "new" | null>(null);
  // Sample variables stay while switching between templates and after saving.
  const [variables, setVariables] = useState("{}");
  const current =
    selected && selected !== "new" ? (list.data?.find((t) => t.name === selected) ?? null) : null;
  return (
    <section className="page">
      <div className="page-header">
        <h1>Templates</h1>
        <button type="button" className="primary" onClick={() => setSelected("new")}>
          New template
        </button>
      </div>
      <QueryStatus isPending={list.isPending} error={list.error} label="templates" />
      {list.data?.length === 0 && selected === null && (
        <p className="empty">No templates yet. Create one to reuse a message.</p>
      )}
      {list.data && list.data.length > 0 && (
        <TableWrap>
          <table aria-label="Templates">
            <thead>
              <tr>
                <th>Name</th>
                <th>Description</th>
                <th>Type / priority</th>
                <th>Updated</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((t) => (
                <tr key={t.id} aria-current={t.name === selected ? "true" : undefined}>
                  <td>
                    <code>{t.name}</code>
                  </td>
                  <td>{t.description ?? <span className="muted">—</span>}</td>
                  <td>
                    <span className="badge">{t.type}</span>{" "}
                    <span className="badge">{t.priority}</span>
                  </td>
                  <td>{formatDate(t.updated_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="small"
                      aria-label={`Edit template ${t.name}`}
                      onClick={() => setSelected(t.name)}
                    >
                      Edit
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {selected !== null && (selected === "new" || current) && (
        <section aria-label={current ? `Editing ${current.name}` : "New template"}>
          <h2>{current ? `Editing ${current.name}` : "New template"}</h2>
          <Editor
            key={current ? current.name : "new"}
            initial={current}
            variables={variables}
            setVariables={setVariables}
            onSaved={(saved) => setSelected(saved.name)}
            onDeleted={() => setSelected(null)}
          />
        </section>
      )}
    </section>
  );
}
