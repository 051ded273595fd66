import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import {
  ListTable,
  DeleteButton,
  EditButton,
  EnabledBadge,
  ToggleButton,
} from "../components/ListTable";
import { ConfirmFor, EditDialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import {
  KINDS,
  describeTarget,
  kindLabel,
  snippet,
  targetMode,
  targetText,
  toTarget,
  type Kind,
  type TargetMode,
} from "./integrationKinds";
import { adminKeys } from "./keys";
import "./integrations.css";

type Integration = Schemas["IntegrationOut"];
type Created = Schemas["IntegrationCreated"];
type Templates = Schemas["HookTemplates"];

const TEMPLATE_PARTS: { key: keyof Templates; label: string }[] = [
  { key: "title", label: "Title template" },
  { key: "message", label: "Message template" },
  { key: "type", label: "Type template" },
  { key: "priority", label: "Priority template" },
  { key: "action_url", label: "Action URL template" },
  { key: "group_key", label: "Group key template" },
];

function IntegrationForm({
  integration,
  onDone,
}: {
  integration: Integration | null;
  onDone: (created: Created | null) => void;
}) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>(integration?.kind ?? "alertmanager");
  const [name, setName] = useState(integration?.name ?? "");
  const [mode, setMode] = useState<TargetMode>(targetMode(integration?.target));
  const [target, setTarget] = useState(targetText(integration?.target));
  const [active, setActive] = useState(integration?.is_active ?? true);
  const [header, setHeader] = useState(integration?.signature_header ?? "");
  const [templates, setTemplates] = useState<Record<string, string>>(
    Object.fromEntries(
      Object.entries(integration?.templates ?? { title: "{{ payload.title }}" }).filter(
        ([, v]) => typeof v === "string",
      ),
    ) as Record<string, string>,
  );
  const isHook = kind === "hook";
  const hookTemplates = (): Templates =>
    Object.fromEntries(
      Object.entries(templates).filter(([k, v]) => v.trim() !== "" || k === "title"),
    ) as Templates;
  const save = useMutation({
    mutationFn: async (): Promise<Created | null> => {
      const hook = isHook
        ? { templates: hookTemplates(), signature_header: header.trim() || undefined }
        : {};
      if (integration) {
        await unwrap(
          api.PATCH("/api/integrations/{integration_id}", {
            params: { path: { integration_id: integration.id } },
            body: { name, is_active: active, target: toTarget(mode, target), ...hook },
          }),
        );
        return null;
      }
      return unwrap(
        api.POST("/api/integrations", {
          body: { kind, name, target: toTarget(mode, target), ...hook },
        }),
      );
    },
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.integrations });
      onDone(created);
    },
  });
  const errors = fieldErrorsOf(save.error);
  const targetError =
    errors[`target.${mode}`] ?? errors.target ?? errors[`target.${mode}.0`] ?? undefined;
  const placed = [
    "name",
    "kind",
    "target",
    `target.${mode}`,
    `target.${mode}.0`,
    "signature_header",
    ...TEMPLATE_PARTS.map((p) => `templates.${p.key}`),
  ];
  const other = unplacedError(save.error, placed);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="stack" aria-label="Integration settings">
      <div className="form-grid">
        <Field label="Kind" error={errors.kind} hint={KINDS.find((k) => k.kind === kind)?.hint}>
          {(p) => (
            <select
              {...p}
              value={kind}
              disabled={integration !== null}
              onChange={(e) => setKind(e.target.value as Kind)}
            >
              {KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Name" error={errors.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Send to">
          {(p) => (
            <select {...p} value={mode} onChange={(e) => setMode(e.target.value as TargetMode)}>
              <option value="topic">a topic</option>
              <option value="roles">roles</option>
              <option value="user_ids">users (ids)</option>
            </select>
          )}
        </Field>
        <Field
          label={mode === "topic" ? "Topic" : mode === "roles" ? "Roles" : "User ids"}
          error={targetError}
          hint={
            mode === "topic"
              ? "Its subscribers get the notifications."
              : mode === "roles"
                ? "Comma-separated: admin, operator, user."
                : "Comma-separated user ids."
          }
        >
          {(p) => <input {...p} value={target} onChange={(e) => setTarget(e.target.value)} />}
        </Field>
      </div>
      {isHook && (
        <fieldset>
          <legend>Hook</legend>
          <div className="form-grid">
            <Field
              label="Signature header"
              error={errors.signature_header}
              hint="Carries the body's HMAC-SHA256 (default X-Signature-256)."
            >
              {(p) => (
                <input
                  {...p}
                  placeholder="X-Signature-256"
                  value={header}
                  onChange={(e) => setHeader(e.target.value)}
                />
              )}
            </Field>
          </div>
          <p className="muted">
            Sandboxed templates; the parsed JSON body is <code>payload</code>.
          </p>
          <div className="form-grid">
            {TEMPLATE_PARTS.map((part) => (
              <Field key={part.key} label={part.label} error={errors[`templates.${part.key}`]}>
                {(p) => (
                  <input
                    {...p}
                    value={templates[part.key] ?? ""}
                    onChange={(e) => setTemplates({ ...templates, [part.key]: e.target.value })}
                  />
                )}
              </Field>
            ))}
          </div>
        </fieldset>
      )}
      {integration && (
        <label className="inline">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          Enabled
        </label>
      )}
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : integration ? "Save integration" : "Create integration"}
        </button>
      </div>
    </form>
  );
}

function CreatedCredential({ created, onDismiss }: { created: Created; onDismiss: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const credential = created.token ?? created.secret ?? "";
  const what = created.token ? "token" : "secret";
  const url = window.location.origin + created.url;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(credential);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div
      className="notice success stack integration-created"
      role="status"
      aria-label="New integration"
    >
      <p>
        Integration <strong>{created.name}</strong> created. Copy its {what} now: it is shown only
        once.
      </p>
      <label className="integration-credential">
        <span className="visually-hidden">The new {what}</span>
        <input readOnly value={credential} onFocus={(e) => e.target.select()} />
      </label>
      <p>
        Receiver URL: <code className="integration-url">{url}</code>
      </p>
      <pre
        className="integration-pre"
        role="region"
        aria-label="Configuration snippet"
        tabIndex={0}
      >
        {snippet(created.kind, url, credential, created.signature_header)}
      </pre>
      <div className="form-actions">
        <button type="button" onClick={() => void copy()}>
          {copied ? "Copied" : `Copy ${what}`}
        </button>
        <button type="button" onClick={onDismiss}>
          Done
        </button>
        {copied === false && <span>Copying was refused: select the {what} and copy it.</span>}
      </div>
    </div>
  );
}

/** A kept payload, indented when it is (untruncated) JSON. */
function pretty(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

function Deliveries({ integration }: { integration: Integration }) {
  const list = useQuery({
    queryKey: adminKeys.integrationDeliveries(integration.id),
    queryFn: () =>
      unwrap(
        api.GET("/api/integrations/{integration_id}/deliveries", {
          params: { path: { integration_id: integration.id } },
        }),
      ),
  });
  return (
    <section className="stack" aria-label={`Deliveries of ${integration.name}`}>
      <QueryStatus isPending={list.isPending} error={list.error} label="deliveries" />
      {list.data?.length === 0 && <p className="empty">Nothing received yet.</p>}
      {list.data && list.data.length > 0 && (
        <ul className="integration-deliveries">
          {list.data.map((d) => (
            <li key={d.id}>
              <details>
                <summary>
                  <span
                    className={`badge ${d.status === "delivered" ? "success" : d.status === "failed" ? "error" : ""}`}
                  >
                    {d.status} · {d.status_code}
                  </span>{" "}
                  {formatDate(d.received_at)}
                  {d.event && <> · {d.event}</>} · {d.notifications} notification
                  {d.notifications === 1 ? "" : "s"}
                  {d.error && <span className="field-error"> · {d.error}</span>}
                </summary>
                <pre className="integration-pre" role="region" aria-label="Payload" tabIndex={0}>
                  {pretty(d.payload)}
                </pre>
                {d.payload_truncated && <small className="muted">Payload truncated.</small>}
              </details>
            </li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <button type="button" className="small" onClick={() => void list.refetch()}>
          Refresh
        </button>
      </div>
    </section>
  );
}

export function IntegrationsAdmin() {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: adminKeys.integrations,
    queryFn: () => unwrap(api.GET("/api/integrations")),
  });
  const [editing, setEditing] = useState<Integration | "new" | null>(null);
  const [deleting, setDeleting] = useState<Integration | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [shown, setShown] = useState<Integration | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: adminKeys.integrations });
  const toggle = useMutation({
    mutationFn: (i: Integration) =>
      unwrap(
        api.PATCH("/api/integrations/{integration_id}", {
          params: { path: { integration_id: i.id } },
          body: { is_active: !i.is_active },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.DELETE("/api/integrations/{integration_id}", {
          params: { path: { integration_id: id } },
        }),
      ),
    onSuccess: (_, id) => {
      if (shown?.id === id) setShown(null);
      refresh();
    },
  });
  const failure = toggle.error ?? remove.error;
  return (
    <section className="page">
      <div className="page-header">
        <h1>Integrations</h1>
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          Add integration
        </button>
      </div>
      <p className="muted">
        Alerts and webhooks in: Alertmanager, Grafana, GitHub and signed generic hooks, each turned
        into notifications for a topic, roles or users.
      </p>
      {created && <CreatedCredential created={created} onDismiss={() => setCreated(null)} />}
      <QueryStatus isPending={list.isPending} error={list.error} label="integrations" />
      {failure && (
        <p className="notice error" role="alert">
          {errorMessage(failure)}
        </p>
      )}
      {list.data?.length === 0 && <p className="empty">No integrations yet.</p>}
      {list.data && list.data.length > 0 && (
        <ListTable
          label="Integrations"
          rows={list.data}
          rowKey={(i) => i.id}
          name={{
            header: "Name",
            cell: (i) => (
              <>
                <strong>{i.name}</strong>
                <div>
                  <small className="integration-url">{i.url}</small>
                </div>
              </>
            ),
          }}
          columns={[
            { header: "Kind", cell: (i) => kindLabel(i.kind) },
            { header: "Target", cell: (i) => describeTarget(i.target) },
            { header: "State", cell: (i) => <EnabledBadge active={i.is_active} /> },
            { header: "Created", cell: (i) => formatDate(i.created_at) },
          ]}
          actions={(i) => (
            <>
              <button
                type="button"
                className="small"
                aria-label={`Deliveries of ${i.name}`}
                aria-pressed={shown?.id === i.id}
                onClick={() => setShown(shown?.id === i.id ? null : i)}
              >
                Deliveries
              </button>
              <EditButton name={i.name} onClick={() => setEditing(i)} />
              <ToggleButton name={i.name} active={i.is_active} onClick={() => toggle.mutate(i)} />
              <DeleteButton name={i.name} onClick={() => setDeleting(i)} />
            </>
          )}
        />
      )}
      {shown && (
        <>
          <h2>Recent deliveries of {shown.name}</h2>
          <Deliveries key={shown.id} integration={shown} />
        </>
      )}
      <ConfirmFor
        item={deleting}
        title={(i) => `Delete the integration ${i.name}?`}
        message="Its senders will be refused from now on; its token or secret stops working."
        confirmLabel="Delete integration"
        onConfirm={(i) => remove.mutate(i.id)}
        onClose={() => setDeleting(null)}
      />
      <EditDialog
        editing={editing}
        newTitle="Add an integration"
        editTitle={(i) => `Edit ${i.name}`}
        itemKey={(i) => i.id}
        onClose={() => setEditing(null)}
      >
        {(integration) => (
          <IntegrationForm
            integration={integration}
            onDone={(made) => {
              setEditing(null);
              if (made) setCreated(made);
            }}
          />
        )}
      </EditDialog>
    </section>
  );
}
