import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { formatDate } from "../components/dates";
import { ConfirmDialog } from "../components/Dialog";
import { CopyBlock } from "./CopyBlock";
import { connectedKeys } from "./keys";
import type { Server } from "./snippets";

type Client = Schemas["GotifyClientOut"];

/** Gotify clients: the Gotify apps signed in to this account (each made its own token). */
export function GotifyClients({ server, clients }: { server: Server; clients: Client[] }) {
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<Client | null>(null);
  const remove = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.DELETE("/api/compat/gotify/clients/{client_id}", {
          params: { path: { client_id: id } },
        }),
      ),
    onSuccess: () => {
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: connectedKeys.all });
    },
  });
  return (
    <section className="card stack" aria-labelledby="gotify-clients-heading">
      <h2 id="gotify-clients-heading">Gotify clients</h2>
      <p className="muted">
        The Gotify Android app receives your notifications: enter this server&apos;s URL, then sign
        in with your WakeDock username and password. It shows up here; delete it to sign it out.
      </p>
      <CopyBlock label="Gotify server URL" text={server.origin} />
      {clients.length === 0 ? (
        <p className="muted">No Gotify clients yet.</p>
      ) : (
        <ul className="profile-list" aria-label="Gotify clients">
          {clients.map((c) => (
            <li key={c.id}>
              <span className="profile-list-main">
                <strong>{c.name}</strong> <code>{c.token_prefix}…</code>
              </span>
              <small className="muted">
                signed in {formatDate(c.created_at)} · last used {formatDate(c.last_used_at)}
              </small>
              <button
                type="button"
                className="small danger"
                aria-label={`Delete ${c.name}`}
                onClick={() => setDeleting(c)}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Sign out the client ${deleting.name}?`}
          message="Its token stops working and its live stream closes."
          confirmLabel="Delete client"
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
