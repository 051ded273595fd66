import { useState } from "react";
import type { FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { ListTable } from "../components/ListTable";
import { formatDate } from "../components/dates";
import { Field, FormSubmit, fieldErrorsOf, unplacedError } from "../components/Field";
import { ConfirmRemoval, useConnectedChange } from "./changes";
import { CreatedSecret } from "./CreatedSecret";
import { isNtfyTopic, ntfySnippets, type Server } from "./snippets";

type Token = Schemas["NtfyTokenOut"];
type Created = Schemas["NtfyTokenCreated"] & { topic: string };

function allows(scopes: string[]): string {
  const parts = [];
  if (scopes.includes("notifications:send")) parts.push("publish");
  if (scopes.includes("notifications:read")) parts.push("subscribe");
  return parts.join(", ");
}

/** ntfy access tokens: for ntfy's apps and senders (curl, Apprise's ntfy://, Uptime Kuma). */
export function NtfyTokens({ server, tokens }: { server: Server; tokens: Token[] }) {
  const [created, setCreated] = useState<Created | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const revoke = useConnectedChange(
    (id: number) =>
      unwrap(
        api.DELETE("/api/compat/ntfy/tokens/{token_id}", { params: { path: { token_id: id } } }),
      ),
    () => setRevoking(null),
  );
  return (
    <section className="card stack" aria-labelledby="ntfy-heading">
      <h2 id="ntfy-heading">ntfy access tokens</h2>
      <p className="muted">
        For ntfy&apos;s apps and the tools that publish to ntfy: a topic here is a WakeDock topic,
        and subscribing from an ntfy app subscribes you to it.
      </p>
      <NewToken onCreated={setCreated} />
      {created && (
        <CreatedSecret
          title={`Access token ${created.name} created`}
          what="access token"
          token={created.token}
          snippets={ntfySnippets(server, created.token, created.topic)}
          onDismiss={() => setCreated(null)}
        />
      )}
      {tokens.length === 0 ? (
        <p className="muted">No ntfy access tokens yet.</p>
      ) : (
        <ListTable
          label="ntfy access tokens"
          rows={tokens}
          rowKey={(t) => t.id}
          name={{ header: "Name", cell: (t) => <strong>{t.name}</strong> }}
          columns={[
            { header: "Allows", cell: (t) => allows(t.scopes) },
            { header: "Token", cell: (t) => <code>{t.prefix}…</code> },
            { header: "Last used", cell: (t) => formatDate(t.last_used_at) },
          ]}
          actions={(t) => (
            <button
              type="button"
              className="small danger"
              aria-label={`Revoke ${t.name}`}
              onClick={() => setRevoking(t)}
            >
              Revoke
            </button>
          )}
        />
      )}
      <ConfirmRemoval
        item={revoking}
        remove={revoke}
        onClose={() => setRevoking(null)}
        title={(t) => `Revoke the access token ${t.name}?`}
        message="Every app or tool using it is refused from now on; its streams close."
        confirmLabel="Revoke token"
      />
    </section>
  );
}

function NewToken({ onCreated }: { onCreated: (token: Created) => void }) {
  const { can } = useAuth();
  const maySend = can("notifications:send");
  const [name, setName] = useState("");
  const [publish, setPublish] = useState(maySend);
  const [subscribe, setSubscribe] = useState(true);
  const [topic, setTopic] = useState("alerts");
  const [topicError, setTopicError] = useState<string | null>(null);
  const create = useConnectedChange(
    () => unwrap(api.POST("/api/compat/ntfy/tokens", { body: { name, publish, subscribe } })),
    (token: Schemas["NtfyTokenCreated"]) => {
      setName("");
      onCreated({ ...token, topic });
    },
  );
  const errors = fieldErrorsOf(create.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!isNtfyTopic(topic)) {
      setTopicError("A topic is 1-64 letters, digits, - or _.");
      return;
    }
    setTopicError(null);
    create.mutate(undefined);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate aria-label="New ntfy access token">
      <Field label="Token name" error={errors.name} hint="Where it is used, e.g. phone, NAS.">
        {(p) => (
          <input {...p} maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <fieldset>
        <legend>It may</legend>
        <div className="checks">
          {maySend && (
            <label className="inline">
              <input
                type="checkbox"
                checked={publish}
                onChange={(e) => setPublish(e.target.checked)}
              />
              publish
            </label>
          )}
          <label className="inline">
            <input
              type="checkbox"
              checked={subscribe}
              onChange={(e) => setSubscribe(e.target.checked)}
            />
            subscribe
          </label>
        </div>
        {errors.publish && (
          <p className="field-error" role="alert">
            {errors.publish}
          </p>
        )}
      </fieldset>
      <Field
        label="Topic for the examples"
        error={topicError}
        hint="Only used to fill in the set-ups shown with the token."
      >
        {(p) => (
          <input {...p} maxLength={64} value={topic} onChange={(e) => setTopic(e.target.value)} />
        )}
      </Field>
      <FormSubmit
        error={unplacedError(create.error, ["name", "publish"])}
        busy={create.isPending}
        label="Create access token"
        busyLabel="Creating…"
      />
    </form>
  );
}
