import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { KINDS, kindInfo, toConfig, toValues, type Kind } from "./channelKinds";
import { ConfirmFor, EditDialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import {
  ListTable,
  DeleteButton,
  EditButton,
  EnabledBadge,
  ToggleButton,
} from "../components/ListTable";
import { adminKeys } from "./keys";

type Channel = Schemas["ChannelOut"];
type TestResult = Schemas["ChannelTestResult"];

function ChannelForm({ channel, onDone }: { channel: Channel | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>((channel?.type as Kind) ?? "webhook");
  const [name, setName] = useState(channel?.name ?? "");
  const [active, setActive] = useState(channel?.is_active ?? true);
  const [values, setValues] = useState<Record<string, string>>(() =>
    toValues(kind, channel?.config ?? {}),
  );
  const save = useMutation({
    mutationFn: () =>
      channel
        ? unwrap(
            api.PATCH("/api/notifications/channels/{channel_id}", {
              params: { path: { channel_id: channel.id } },
              body: { name, is_active: active, config: toConfig(kind, values, channel.config) },
            }),
          )
        : unwrap(
            api.POST("/api/notifications/channels", {
              body: { name, type: kind, is_active: active, config: toConfig(kind, values) },
            }),
          ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.channels });
      onDone();
    },
  });
  const errors = fieldErrorsOf(save.error);
  const fields = kindInfo(kind).fields;
  const placed = ["name", "type", ...fields.map((f) => `config.${f.key}`)];
  const other = unplacedError(save.error, placed);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="stack" aria-label="Channel settings">
      <div className="form-grid">
        <Field
          label="Name"
          error={errors.name}
          hint="Referenced by notifications, broadcasts and subscriptions."
        >
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Kind" error={errors.type}>
          {(p) => (
            <select
              {...p}
              value={kind}
              disabled={channel !== null}
              onChange={(e) => {
                const next = e.target.value as Kind;
                setKind(next);
                setValues(toValues(next, {}));
              }}
            >
              {KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <fieldset>
        <legend>{kindInfo(kind).label} settings</legend>
        <div className="form-grid">
          {fields.map((field) => {
            const isSet = channel?.secrets_set.includes(field.key);
            const hint =
              field.input === "secret"
                ? isSet
                  ? "Set (hidden). Leave empty to keep it; type to replace."
                  : "Write-only: never shown again."
                : field.hint;
            return (
              <Field
                key={field.key}
                label={field.label}
                error={errors[`config.${field.key}`]}
                hint={hint}
              >
                {(p) =>
                  field.input === "select" ? (
                    <select
                      {...p}
                      value={values[field.key] || field.options![0]}
                      onChange={(e) => setValues({ ...values, [field.key]: e.target.value })}
                    >
                      {field.options!.map((o) => (
                        <option key={o}>{o}</option>
                      ))}
                    </select>
                  ) : (
                    <input
                      {...p}
                      type={field.input === "secret" ? "password" : "text"}
                      inputMode={field.input === "number" ? "decimal" : undefined}
                      autoComplete={field.input === "secret" ? "new-password" : "off"}
                      placeholder={
                        field.input === "secret" && isSet ? "•••••• (set)" : field.placeholder
                      }
                      value={values[field.key] ?? ""}
                      onChange={(e) => setValues({ ...values, [field.key]: e.target.value })}
                    />
                  )
                }
              </Field>
            );
          })}
        </div>
      </fieldset>
      <label className="inline">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
        Enabled
      </label>
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : channel ? "Save channel" : "Create channel"}
        </button>
      </div>
    </form>
  );
}

function TestOutcome({ result }: { result: TestResult | { error: string } }) {
  if ("ok" in result && result.ok) {
    return (
      <span className="badge success" role="status">
        ✓ Test delivered in {result.duration_ms} ms
      </span>
    );
  }
  return (
    <span className="field-error" role="status">
      ✗ Test failed: {result.error ?? "unknown error"}
    </span>
  );
}

export function ChannelsAdmin() {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: adminKeys.channels,
    queryFn: () => unwrap(api.GET("/api/notifications/channels")),
  });
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [deleting, setDeleting] = useState<Channel | null>(null);
  const [results, setResults] = useState<Record<number, TestResult | { error: string }>>({});
  const refresh = () => void queryClient.invalidateQueries({ queryKey: adminKeys.channels });
  const test = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/notifications/channels/{channel_id}/test", {
          params: { path: { channel_id: id } },
        }),
      ),
    onMutate: (id) =>
      setResults((r) =>
        Object.fromEntries(Object.entries(r).filter(([key]) => Number(key) !== id)),
      ),
    onSuccess: (result, id) => setResults((r) => ({ ...r, [id]: result })),
    onError: (error, id) => setResults((r) => ({ ...r, [id]: { error: errorMessage(error) } })),
  });
  const toggle = useMutation({
    mutationFn: (c: Channel) =>
      unwrap(
        api.PATCH("/api/notifications/channels/{channel_id}", {
          params: { path: { channel_id: c.id } },
          body: { is_active: !c.is_active },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.DELETE("/api/notifications/channels/{channel_id}", {
          params: { path: { channel_id: id } },
        }),
      ),
    onSuccess: refresh,
  });
  const failure = toggle.error ?? remove.error;
  return (
    <section className="page">
      <div className="page-header">
        <h1>Channels</h1>
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          Add channel
        </button>
      </div>
      <p className="muted">
        E-mail and web push follow each user's preferences; webhook and Apprise channels are reached
        when a notification, broadcast or subscription names them.
      </p>
      <QueryStatus isPending={list.isPending} error={list.error} label="channels" />
      {failure && (
        <p className="notice error" role="alert">
          {errorMessage(failure)}
        </p>
      )}
      {list.data?.length === 0 && <p className="empty">No channels configured yet.</p>}
      {list.data && list.data.length > 0 && (
        <ListTable
          label="Channels"
          rows={list.data}
          rowKey={(c) => c.id}
          name={{ header: "Name", cell: (c) => <strong>{c.name}</strong> }}
          columns={[
            { header: "Kind", cell: (c) => kindInfo(c.type).label },
            {
              header: "Settings",
              cell: (c) => (
                <>
                  <small>
                    {Object.entries(c.config)
                      .filter(([, v]) => typeof v !== "object")
                      .map(([k, v]) => `${k}: ${String(v)}`)
                      .join(" · ")}
                  </small>
                  {c.secrets_set.map((s) => (
                    <div key={s} className="secret-set">
                      <span className="badge">{s}: set</span>
                    </div>
                  ))}
                  {results[c.id] && (
                    <div data-testid={`test-result-${c.name}`}>
                      <TestOutcome result={results[c.id]} />
                    </div>
                  )}
                </>
              ),
            },
            { header: "State", cell: (c) => <EnabledBadge active={c.is_active} /> },
            { header: "Updated", cell: (c) => formatDate(c.updated_at) },
          ]}
          actions={(c) => (
            <>
              <button
                type="button"
                className="small"
                aria-label={`Send test with ${c.name}`}
                disabled={test.isPending && test.variables === c.id}
                onClick={() => test.mutate(c.id)}
              >
                {test.isPending && test.variables === c.id ? "Sending…" : "Send test"}
              </button>
              <EditButton name={c.name} onClick={() => setEditing(c)} />
              <ToggleButton name={c.name} active={c.is_active} onClick={() => toggle.mutate(c)} />
              <DeleteButton name={c.name} onClick={() => setDeleting(c)} />
            </>
          )}
        />
      )}
      <ConfirmFor
        item={deleting}
        title={(c) => `Delete the channel ${c.name}?`}
        message="Notifications that name it will be refused; its delivery history stays."
        confirmLabel="Delete channel"
        onConfirm={(c) => remove.mutate(c.id)}
        onClose={() => setDeleting(null)}
      />
      <EditDialog
        editing={editing}
        newTitle="Add a channel"
        editTitle={(c) => `Edit ${c.name}`}
        itemKey={(c) => c.id}
        onClose={() => setEditing(null)}
      >
        {(channel) => <ChannelForm channel={channel} onDone={() => setEditing(null)} />}
      </EditDialog>
    </section>
  );
}
