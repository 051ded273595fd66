import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { NOTIFICATION_TYPES, PRIORITIES } from "../api/enums";
import { ConfirmDialog, Dialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { toggled } from "../components/lists";
import { TableWrap } from "../components/TableWrap";
import { preferenceKeys } from "./keys";

type Subscription = Schemas["SubscriptionOut"];

function channelList(text: string): string[] | null {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length ? names : null;
}

interface FormValues {
  topic: string;
  resource_id: string;
  types: string[];
  threshold: string;
  channels: string;
  is_active: boolean;
}

function TypesChoice({
  value,
  onChange,
  error,
}: {
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  return (
    <fieldset className="types-choice">
      <legend>Types (none checked: every type)</legend>
      <div className="checks">
        {NOTIFICATION_TYPES.map((type) => (
          <label key={type} className="inline">
            <input
              type="checkbox"
              checked={value.includes(type)}
              onChange={() => onChange(toggled(value, type, NOTIFICATION_TYPES))}
            />
            {type}
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function SubscriptionForm({
  initial,
  editing,
  pending,
  error,
  onSubmit,
  submitLabel,
}: {
  initial: FormValues;
  editing: boolean;
  pending: boolean;
  error: unknown;
  onSubmit: (values: FormValues) => void;
  submitLabel: string;
}) {
  const [values, setValues] = useState(initial);
  const errors = fieldErrorsOf(error);
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));
  const placed = ["topic", "resource_id", "notification_types", "priority_threshold", "channels"];
  const other = unplacedError(error, placed);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  return (
    <form onSubmit={submit} noValidate className="stack">
      <div className="form-grid">
        <Field label="Topic" error={errors.topic} hint="e.g. deployment, backup, monitoring">
          {(props) => (
            <input
              {...props}
              value={values.topic}
              disabled={editing}
              required
              onChange={(e) => set("topic", e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Resource (optional)"
          error={errors.resource_id}
          hint="e.g. service:web — empty: every resource"
        >
          {(props) => (
            <input
              {...props}
              value={values.resource_id}
              disabled={editing}
              onChange={(e) => set("resource_id", e.target.value)}
            />
          )}
        </Field>
        <Field label="Minimum priority" error={errors.priority_threshold}>
          {(props) => (
            <select
              {...props}
              value={values.threshold}
              onChange={(e) => set("threshold", e.target.value)}
            >
              {PRIORITIES.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Also reach channels (optional)"
          error={errors.channels}
          hint="Configured channel names, comma-separated"
        >
          {(props) => (
            <input
              {...props}
              value={values.channels}
              onChange={(e) => set("channels", e.target.value)}
            />
          )}
        </Field>
      </div>
      <TypesChoice
        value={values.types}
        onChange={(types) => set("types", types)}
        error={errors.notification_types}
      />
      <label className="inline">
        <input
          type="checkbox"
          checked={values.is_active}
          onChange={(e) => set("is_active", e.target.checked)}
        />
        Active
      </label>
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}

const EMPTY: FormValues = {
  topic: "",
  resource_id: "",
  types: [],
  threshold: "low",
  channels: "",
  is_active: true,
};

export function Subscriptions() {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: preferenceKeys.subscriptions,
    queryFn: () => unwrap(api.GET("/api/notifications/subscriptions")),
  });
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Subscription | null>(null);
  const [deleting, setDeleting] = useState<Subscription | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: preferenceKeys.subscriptions });

  const create = useMutation({
    mutationFn: (v: FormValues) =>
      unwrap(
        api.POST("/api/notifications/subscriptions", {
          body: {
            topic: v.topic.trim(),
            resource_id: v.resource_id.trim() || null,
            notification_types: (v.types.length
              ? v.types
              : null) as Schemas["SubscriptionIn"]["notification_types"],
            priority_threshold: v.threshold as Schemas["SubscriptionIn"]["priority_threshold"],
            channels: channelList(v.channels),
            is_active: v.is_active,
          },
        }),
      ),
    onSuccess: () => {
      setAdding(false);
      void refresh();
    },
  });
  const update = useMutation({
    mutationFn: ({ id, v }: { id: number; v: FormValues }) =>
      unwrap(
        api.PATCH("/api/notifications/subscriptions/{subscription_id}", {
          params: { path: { subscription_id: id } },
          body: {
            notification_types: (v.types.length
              ? v.types
              : null) as Schemas["SubscriptionPatch"]["notification_types"],
            priority_threshold: v.threshold as Schemas["SubscriptionPatch"]["priority_threshold"],
            channels: channelList(v.channels) ?? [],
            is_active: v.is_active,
          },
        }),
      ),
    onSuccess: () => {
      setEditing(null);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.DELETE("/api/notifications/subscriptions/{subscription_id}", {
          params: { path: { subscription_id: id } },
        }),
      ),
    onSuccess: () => void refresh(),
  });

  return (
    <section className="prefs-section" aria-labelledby="subs-title">
      <div className="page-header">
        <h2 id="subs-title">Topic subscriptions</h2>
        <button
          type="button"
          className="primary"
          onClick={() => {
            create.reset();
            setAdding(true);
          }}
        >
          Add subscription
        </button>
      </div>
      <p className="muted">
        Get notified of everything sent to a topic (optionally a single resource of it).
      </p>
      <QueryStatus isPending={list.isPending} error={list.error} label="subscriptions" />
      {remove.error && (
        <p className="notice error" role="alert">
          Could not delete: {errorMessage(remove.error)}
        </p>
      )}
      {list.data && list.data.length === 0 && <p className="empty">No subscriptions yet.</p>}
      {list.data && list.data.length > 0 && (
        <TableWrap>
          <table aria-label="Topic subscriptions">
            <thead>
              <tr>
                <th>Topic</th>
                <th>Resource</th>
                <th>Types</th>
                <th>Min. priority</th>
                <th>Channels</th>
                <th>State</th>
                <th>Since</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((sub) => (
                <tr key={sub.id}>
                  <td>{sub.topic}</td>
                  <td>{sub.resource_id ?? <span className="muted">every resource</span>}</td>
                  <td>
                    {sub.notification_types?.join(", ") || <span className="muted">all</span>}
                  </td>
                  <td>{sub.priority_threshold}</td>
                  <td>{sub.channels?.join(", ") || <span className="muted">—</span>}</td>
                  <td>
                    <span className={`badge ${sub.is_active ? "success" : ""}`}>
                      {sub.is_active ? "active" : "paused"}
                    </span>
                  </td>
                  <td>{formatDate(sub.created_at)}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="small"
                      aria-label={`Edit subscription ${sub.topic}${sub.resource_id ? ` ${sub.resource_id}` : ""}`}
                      onClick={() => {
                        update.reset();
                        setEditing(sub);
                      }}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="small danger"
                      aria-label={`Delete subscription ${sub.topic}${sub.resource_id ? ` ${sub.resource_id}` : ""}`}
                      disabled={remove.isPending}
                      onClick={() => setDeleting(sub)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Unsubscribe from ${deleting.topic}?`}
          message="You will no longer be notified of this topic."
          confirmLabel="Unsubscribe"
          onConfirm={() => {
            remove.mutate(deleting.id);
            setDeleting(null);
          }}
          onClose={() => setDeleting(null)}
        />
      )}
      <Dialog title="Add a subscription" open={adding} onClose={() => setAdding(false)}>
        <SubscriptionForm
          initial={EMPTY}
          editing={false}
          pending={create.isPending}
          error={create.error}
          onSubmit={(v) => create.mutate(v)}
          submitLabel="Subscribe"
        />
      </Dialog>
      <Dialog title="Edit subscription" open={editing !== null} onClose={() => setEditing(null)}>
        {editing && (
          <SubscriptionForm
            initial={{
              topic: editing.topic,
              resource_id: editing.resource_id ?? "",
              types: editing.notification_types ?? [],
              threshold: editing.priority_threshold,
              channels: editing.channels?.join(", ") ?? "",
              is_active: editing.is_active,
            }}
            editing
            pending={update.isPending}
            error={update.error}
            onSubmit={(v) => update.mutate({ id: editing.id, v })}
            submitLabel="Save"
          />
        )}
      </Dialog>
    </section>
  );
}
