import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { ListTable, EditButton } from "../components/ListTable";
import { ConfirmFor, EditDialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { adminKeys } from "./keys";

type Rule = Schemas["TopicAccessOut"];
type Role = "admin" | "operator" | "user";
const ROLES: Role[] = ["admin", "operator", "user"];
// ntfy's topic syntax, as the server checks it.
const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

function describe(roles: string[] | null | undefined, fallback: string): string {
  return roles && roles.length > 0 ? roles.join(", ") : fallback;
}

/** A role list: nothing ticked is the default rule (null). */
function RolePicker({
  legend,
  hint,
  value,
  onChange,
}: {
  legend: string;
  hint: string;
  value: Role[];
  onChange: (next: Role[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <p className="muted">
        <small>{hint}</small>
      </p>
      {ROLES.map((role) => (
        <label key={role} className="inline">
          <input
            type="checkbox"
            checked={value.includes(role)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, role] : value.filter((r) => r !== role))
            }
          />
          {role}
        </label>
      ))}
    </fieldset>
  );
}

function RuleForm({ rule, onDone }: { rule: Rule | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [topic, setTopic] = useState(rule?.topic ?? "");
  const [publish, setPublish] = useState<Role[]>((rule?.publish_roles as Role[]) ?? []);
  const [subscribe, setSubscribe] = useState<Role[]>((rule?.subscribe_roles as Role[]) ?? []);
  const [anonymous, setAnonymous] = useState(rule?.anonymous_publish ?? false);
  const [topicError, setTopicError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/notifications/topic-access/{topic}", {
          params: { path: { topic } },
          body: {
            publish_roles: publish.length ? publish : null,
            subscribe_roles: subscribe.length ? subscribe : null,
            anonymous_publish: anonymous,
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.topicAccess });
      onDone();
    },
  });
  const errors = fieldErrorsOf(save.error);
  const other = unplacedError(save.error, ["topic", "publish_roles", "subscribe_roles"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!TOPIC.test(topic)) {
      setTopicError("Letters, digits, - and _ only, 1 to 64 characters (ntfy's topic names).");
      return;
    }
    setTopicError(null);
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="stack" aria-label="Topic access rule">
      <Field
        label="Topic"
        error={topicError ?? errors.topic}
        hint="The topic's name as ntfy clients and POST /api/notifications use it."
      >
        {(p) => (
          <input
            {...p}
            value={topic}
            disabled={rule !== null}
            autoComplete="off"
            onChange={(e) => setTopic(e.target.value)}
          />
        )}
      </Field>
      <RolePicker
        legend="Who may publish"
        hint="None ticked: anyone with notifications:send (operators, admins). A rule never grants that permission; admins always may."
        value={publish}
        onChange={setPublish}
      />
      {errors.publish_roles && <p className="field-error">{errors.publish_roles}</p>}
      <RolePicker
        legend="Who may subscribe"
        hint="None ticked: every signed-in user. Subscribers left out stop receiving at once; their subscriptions stay."
        value={subscribe}
        onChange={setSubscribe}
      />
      {errors.subscribe_roles && <p className="field-error">{errors.subscribe_roles}</p>}
      <label className="inline">
        <input
          type="checkbox"
          checked={anonymous}
          onChange={(e) => setAnonymous(e.target.checked)}
        />
        Anyone may publish without credentials (ntfy clients; rate-limited per address)
      </label>
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save rule"}
        </button>
      </div>
    </form>
  );
}

export function TopicsAdmin() {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: adminKeys.topicAccess,
    queryFn: () => unwrap(api.GET("/api/notifications/topic-access")),
  });
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const remove = useMutation({
    mutationFn: (topic: string) =>
      unwrap(
        api.DELETE("/api/notifications/topic-access/{topic}", {
          params: { path: { topic } },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: adminKeys.topicAccess }),
  });
  return (
    <section className="page">
      <div className="page-header">
        <h1>Topics</h1>
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          Add rule
        </button>
      </div>
      <p className="muted">
        A topic without a rule: operators and admins publish, every signed-in user subscribes,
        nobody publishes without credentials. A rule narrows who publishes or subscribes to roles,
        or opens a topic to anonymous publishing.
      </p>
      <QueryStatus isPending={list.isPending} error={list.error} label="topic rules" />
      {remove.error && (
        <p className="notice error" role="alert">
          {errorMessage(remove.error)}
        </p>
      )}
      {list.data?.length === 0 && (
        <p className="empty">No topic has a rule: the default applies.</p>
      )}
      {list.data && list.data.length > 0 && (
        <ListTable
          label="Topic rules"
          rows={list.data}
          rowKey={(r) => r.topic}
          name={{ header: "Topic", cell: (r) => <strong>{r.topic}</strong> }}
          columns={[
            { header: "Publish", cell: (r) => describe(r.publish_roles, "default") },
            { header: "Subscribe", cell: (r) => describe(r.subscribe_roles, "default") },
            {
              header: "Anonymous",
              cell: (r) => (
                <span className={`badge ${r.anonymous_publish ? "warning" : ""}`}>
                  {r.anonymous_publish ? "may publish" : "off"}
                </span>
              ),
            },
            { header: "Updated", cell: (r) => formatDate(r.updated_at) },
          ]}
          actions={(r) => (
            <>
              <EditButton name={r.topic} onClick={() => setEditing(r)} />
              {/* "Remove", not "Delete": the topic stays, only its rule goes. */}
              <button
                type="button"
                className="small danger"
                aria-label={`Remove the rule of ${r.topic}`}
                onClick={() => setDeleting(r)}
              >
                Remove
              </button>
            </>
          )}
        />
      )}
      <ConfirmFor
        item={deleting}
        title={(r) => `Remove the rule of ${r.topic}?`}
        message="The default rule applies to the topic again."
        confirmLabel="Remove rule"
        onConfirm={(r) => remove.mutate(r.topic)}
        onClose={() => setDeleting(null)}
      />
      <EditDialog
        editing={editing}
        newTitle="Add a topic rule"
        editTitle={(r) => `Edit ${r.topic}`}
        itemKey={(r) => r.topic}
        onClose={() => setEditing(null)}
      >
        {(rule) => <RuleForm rule={rule} onDone={() => setEditing(null)} />}
      </EditDialog>
    </section>
  );
}
