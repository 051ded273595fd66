import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { DeleteButton, ListTable } from "../components/ListTable";
import { formatDate } from "../components/dates";
import { ConfirmDialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { CreatedSecret } from "./CreatedSecret";
import { connectedKeys } from "./keys";
import { gotifySnippets, type Server } from "./snippets";

type App = Schemas["GotifyApplicationOut"];
type Created = Schemas["GotifyApplicationCreated"];

/** Gotify applications: senders (Sonarr, Uptime Kuma, scripts) each with its own token. */
export function GotifyApps({ server, apps }: { server: Server; apps: App[] }) {
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<Created | null>(null);
  const [deleting, setDeleting] = useState<App | null>(null);
  const remove = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.DELETE("/api/compat/gotify/applications/{app_id}", {
          params: { path: { app_id: id } },
        }),
      ),
    onSuccess: () => {
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: connectedKeys.all });
    },
  });
  return (
    <section className="card stack" aria-labelledby="gotify-apps-heading">
      <h2 id="gotify-apps-heading">Gotify applications</h2>
      <p className="muted">
        For tools that send to Gotify (Apprise, Uptime Kuma, Sonarr, scripts): each application has
        its own token, which may only send.
      </p>
      <NewApp
        onCreated={(app) => {
          setCreated(app);
          void queryClient.invalidateQueries({ queryKey: connectedKeys.all });
        }}
      />
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
          actions={(app) => <DeleteButton name={app.name} onClick={() => setDeleting(app)} />}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the application ${deleting.name}?`}
          message="Its token stops working at once; the messages it sent stay."
          confirmLabel="Delete application"
          busy={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : null}
          onConfirm={() => remove.mutate(deleting.id)}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        />
      )}
    </section>
  );
}

function NewApp({ onCreated }: { onCreated: (app: Created) => void }) {
  const { can } = useAuth();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState("5");
  const [topic, setTopic] = useState("");
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/compat/gotify/applications", {
          body: {
            name,
            description,
            // A non-number is sent as it is, so the server's message names the field.
            default_priority: (/^\d+$/.test(priority) ? Number(priority) : priority) as number,
            topic: topic.trim() || null,
          },
        }),
      ),
    onSuccess: (app) => {
      setName("");
      setDescription("");
      setPriority("5");
      setTopic("");
      onCreated(app);
    },
  });
  const errors = fieldErrorsOf(create.error);
  const other = unplacedError(create.error, ["name", "description", "default_priority", "topic"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate aria-label="New Gotify application">
      <Field label="Application name" error={errors.name} hint="e.g. Sonarr, Backups.">
        {(p) => (
          <input {...p} maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <Field label="Description" error={errors.description}>
        {(p) => (
          <input
            {...p}
            maxLength={1000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
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
            value={priority}
            onChange={(e) => setPriority(e.target.value)}
          />
        )}
      </Field>
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
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create application"}
        </button>
      </div>
    </form>
  );
}
