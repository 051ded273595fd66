import { useState } from "react";
import type { FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { DeleteButton, EditButton, ListTable } from "../components/ListTable";
import { formatDate } from "../components/dates";
import { EditDialog } from "../components/Dialog";
import { Field, FormSubmit, fieldErrorsOf, unplacedError } from "../components/Field";
import { ConfirmRemoval, useConnectedChange } from "./changes";
import { CreatedSecret } from "./CreatedSecret";
import { gotifySnippets, priorityOf, type Server } from "./snippets";

type App = Schemas["GotifyApplicationOut"];
type Created = Schemas["GotifyApplicationCreated"];

/** Gotify applications: senders (Sonarr, Uptime Kuma, scripts) each with its own token. */
export function GotifyApps({ server, apps }: { server: Server; apps: App[] }) {
  const [created, setCreated] = useState<Created | null>(null);
  const [editing, setEditing] = useState<App | null>(null);
  const [deleting, setDeleting] = useState<App | null>(null);
  const remove = useConnectedChange(
    (id: number) =>
      unwrap(
        api.DELETE("/api/compat/gotify/applications/{app_id}", {
          params: { path: { app_id: id } },
        }),
      ),
    () => setDeleting(null),
  );
  return (
    <section className="card stack" aria-labelledby="gotify-apps-heading">
      <h2 id="gotify-apps-heading">Gotify applications</h2>
      <p className="muted">
        For tools that send to Gotify (Apprise, Uptime Kuma, Sonarr, scripts): each application has
        its own token, which may only send.
      </p>
      <NewApp onCreated={setCreated} />
      {created && (
        <CreatedSecret
          title={`Application ${created.name} created`}
          what="application token"
          token={created.token}
          snippets={gotifySnippets(server, created.token)}
          onDismiss={() => setCreated(null)}
        />
      )}
      {apps.length === 0 ? (
        <p className="muted">No Gotify applications yet.</p>
      ) : (
        <ListTable
          label="Gotify applications"
          rows={apps}
          rowKey={(app) => app.id}
          name={{
            header: "Name",
            cell: (app) => (
              <>
                <strong>{app.name}</strong>
                {app.description && (
                  <div>
                    <small className="muted">{app.description}</small>
                  </div>
                )}
              </>
            ),
          }}
          columns={[
            { header: "Sends to", cell: (app) => (app.topic ? `topic ${app.topic}` : "you") },
            { header: "Default priority", cell: (app) => app.default_priority },
            { header: "Token", cell: (app) => <code>{app.token_prefix}…</code> },
            { header: "Last used", cell: (app) => formatDate(app.last_used_at) },
          ]}
          actions={(app) => (
            <>
              <EditButton name={app.name} onClick={() => setEditing(app)} />
              <DeleteButton name={app.name} onClick={() => setDeleting(app)} />
            </>
          )}
        />
      )}
      <EditDialog
        editing={editing}
        newTitle=""
        editTitle={(app) => `Edit the application ${app.name}`}
        itemKey={(app) => app.id}
        onClose={() => setEditing(null)}
      >
        {(app) => app && <EditApp app={app} onDone={() => setEditing(null)} />}
      </EditDialog>
      <ConfirmRemoval
        item={deleting}
        remove={remove}
        onClose={() => setDeleting(null)}
        title={(app) => `Delete the application ${app.name}?`}
        message="Its token stops working at once; the messages it sent stay."
        confirmLabel="Delete application"
      />
    </section>
  );
}

/** What an application's form edits besides its topic: name, description, default priority. */
interface AppValues {
  name: string;
  description: string;
  priority: string;
}

const NEW_APP: AppValues = { name: "", description: "", priority: "5" };
const APP_FIELDS = ["name", "description", "default_priority"];

function AppFields({
  values,
  onChange,
  errors,
}: {
  values: AppValues;
  onChange: (values: AppValues) => void;
  errors: Record<string, string | undefined>;
}) {
  const set = (key: keyof AppValues) => (e: { target: { value: string } }) =>
    onChange({ ...values, [key]: e.target.value });
  return (
    <>
      <Field label="Application name" error={errors.name} hint="e.g. Sonarr, Backups.">
        {(p) => <input {...p} maxLength={100} value={values.name} onChange={set("name")} />}
      </Field>
      <Field label="Description" error={errors.description}>
        {(p) => (
          <input {...p} maxLength={1000} value={values.description} onChange={set("description")} />
        )}
      </Field>
      <Field
        label="Default priority"
        error={errors.default_priority}
        hint="Gotify's 0-10, when a message names none: 0-3 low, 4-7 normal, 8-9 high, 10 urgent."
      >
        {(p) => (
          <input
            {...p}
            type="number"
            min={0}
            max={10}
            inputMode="numeric"
            value={values.priority}
            onChange={set("priority")}
          />
        )}
      </Field>
    </>
  );
}

function NewApp({ onCreated }: { onCreated: (app: Created) => void }) {
  const { can } = useAuth();
  const [values, setValues] = useState(NEW_APP);
  const [topic, setTopic] = useState("");
  const create = useConnectedChange(
    () =>
      unwrap(
        api.POST("/api/compat/gotify/applications", {
          body: {
            name: values.name,
            description: values.description,
            default_priority: priorityOf(values.priority),
            topic: topic.trim() || null,
          },
        }),
      ),
    (app: Created) => {
      setValues(NEW_APP);
      setTopic("");
      onCreated(app);
    },
  );
  const errors = fieldErrorsOf(create.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(undefined);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate aria-label="New Gotify application">
      <AppFields values={values} onChange={setValues} errors={errors} />
      {can("notifications:send") && (
        <Field
          label="Send to topic (optional)"
          error={errors.topic}
          hint="Empty: messages come to you. A topic: to everyone subscribed to it."
        >
          {(p) => (
            <input
              {...p}
              maxLength={128}
              value={topic}
              onChange={(e) => setTopic(e.target.value)}
            />
          )}
        </Field>
      )}
      <FormSubmit
        error={unplacedError(create.error, [...APP_FIELDS, "topic"])}
        busy={create.isPending}
        label="Create application"
        busyLabel="Creating…"
      />
    </form>
  );
}

/** Rename or edit an application: its token and its topic binding stay. */
function EditApp({ app, onDone }: { app: App; onDone: () => void }) {
  const [values, setValues] = useState<AppValues>({
    name: app.name,
    description: app.description,
    priority: String(app.default_priority),
  });
  const save = useConnectedChange(
    () =>
      unwrap(
        api.PUT("/api/compat/gotify/applications/{app_id}", {
          params: { path: { app_id: app.id } },
          body: {
            name: values.name,
            description: values.description,
            default_priority: priorityOf(values.priority),
          },
        }),
      ),
    onDone,
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(undefined);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate aria-label="Edit Gotify application">
      <AppFields values={values} onChange={setValues} errors={fieldErrorsOf(save.error)} />
      <p className="muted">
        {app.topic ? `It sends to the topic ${app.topic}` : "It sends to you"}; its token stays the
        same.
      </p>
      <FormSubmit
        error={unplacedError(save.error, APP_FIELDS)}
        busy={save.isPending}
        label="Save application"
        busyLabel="Saving…"
      />
    </form>
  );
}
