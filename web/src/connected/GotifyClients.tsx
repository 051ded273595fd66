import { useState } from "react";
import type { FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { DeleteButton, ListTable } from "../components/ListTable";
import { formatDate } from "../components/dates";
import { Field, FormSubmit, fieldErrorsOf, unplacedError } from "../components/Field";
import { ConfirmRemoval, useConnectedChange } from "./changes";
import { CopyBlock } from "./CopyBlock";
import { CreatedSecret } from "./CreatedSecret";
import { gotifyClientSnippets, type Server } from "./snippets";

type Client = Schemas["GotifyClientOut"];
type Created = Schemas["GotifyClientCreated"];

/** Gotify clients: what receives (the Gotify apps signed in to this account, or a client token
 *  made here for a desktop client or a script), each with its own token. */
export function GotifyClients({ server, clients }: { server: Server; clients: Client[] }) {
  const [created, setCreated] = useState<Created | null>(null);
  const [deleting, setDeleting] = useState<Client | null>(null);
  const remove = useConnectedChange(
    (id: number) =>
      unwrap(
        api.DELETE("/api/compat/gotify/clients/{client_id}", {
          params: { path: { client_id: id } },
        }),
      ),
    () => setDeleting(null),
  );
  return (
    <section className="card stack" aria-labelledby="gotify-clients-heading">
      <h2 id="gotify-clients-heading">Gotify clients</h2>
      <p className="muted">
        The Gotify Android app receives your notifications: enter this server&apos;s URL, then sign
        in with your WakeDock username and password. It shows up here; delete it to sign it out. For
        a client that asks for a token instead, create a client token here.
      </p>
      <CopyBlock label="Gotify server URL" text={server.origin} />
      <NewClient onCreated={setCreated} />
      {created && (
        <CreatedSecret
          title={`Client ${created.name} created`}
          what="client token"
          token={created.token}
          snippets={gotifyClientSnippets(server, created.token)}
          onDismiss={() => setCreated(null)}
        />
      )}
      {clients.length === 0 ? (
        <p className="muted">No Gotify clients yet.</p>
      ) : (
        <ListTable
          label="Gotify clients"
          rows={clients}
          rowKey={(c) => c.id}
          name={{ header: "Name", cell: (c) => <strong>{c.name}</strong> }}
          columns={[
            { header: "Token", cell: (c) => <code>{c.token_prefix}…</code> },
            { header: "Created", cell: (c) => formatDate(c.created_at) },
            { header: "Last used", cell: (c) => formatDate(c.last_used_at) },
          ]}
          actions={(c) => <DeleteButton name={c.name} onClick={() => setDeleting(c)} />}
        />
      )}
      <ConfirmRemoval
        item={deleting}
        remove={remove}
        onClose={() => setDeleting(null)}
        title={(c) => `Sign out the client ${c.name}?`}
        message="Its token stops working and its live stream closes."
        confirmLabel="Delete client"
      />
    </section>
  );
}

function NewClient({ onCreated }: { onCreated: (client: Created) => void }) {
  const [name, setName] = useState("");
  const create = useConnectedChange(
    () => unwrap(api.POST("/api/compat/gotify/clients", { body: { name } })),
    (client: Created) => {
      setName("");
      onCreated(client);
    },
  );
  const errors = fieldErrorsOf(create.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(undefined);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate aria-label="New Gotify client">
      <Field label="Client name" error={errors.name} hint="Where it receives, e.g. laptop.">
        {(p) => (
          <input {...p} maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <FormSubmit
        error={unplacedError(create.error, ["name"])}
        busy={create.isPending}
        label="Create client token"
        busyLabel="Creating…"
      />
    </form>
  );
}
