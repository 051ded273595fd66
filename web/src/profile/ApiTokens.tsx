import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { formatDate } from "../components/dates";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { profileKeys } from "./keys";

type Permission = Schemas["Permission"];
type Created = Schemas["ApiTokenCreated"];

/** The caller's API tokens: create one (scopes within the caller's permissions; the token is
 *  shown once, with a copy button), list them, revoke one. */
export function ApiTokens() {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: profileKeys.tokens,
    queryFn: () => unwrap(api.GET("/api/auth/api-tokens")),
  });
  const [created, setCreated] = useState<Created | null>(null);
  const revoke = useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/auth/api-tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: profileKeys.tokens }),
  });
  return (
    <section className="card stack" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="muted">
        For scripts: send <code>Authorization: Bearer wdk_…</code>. A token without scopes does
        everything your roles allow except managing your account.
      </p>
      <NewToken
        onCreated={(token) => {
          setCreated(token);
          void queryClient.invalidateQueries({ queryKey: profileKeys.tokens });
        }}
      />
      {created && <CreatedToken token={created} onDismiss={() => setCreated(null)} />}
      {!query.data ? (
        <QueryStatus isPending={query.isPending} error={query.error} label="your API tokens" />
      ) : query.data.length === 0 ? (
        <p className="muted">No API tokens yet.</p>
      ) : (
        <ul className="profile-list" aria-label="Your API tokens">
          {query.data.map((token) => (
            <li key={token.id}>
              <span className="profile-list-main">
                <strong>{token.name}</strong> <code>{token.prefix}…</code>
              </span>
              <small className="muted">
                {token.scopes ? token.scopes.join(", ") : "all your permissions"} · created{" "}
                {formatDate(token.created_at)} · expires {formatDate(token.expires_at)} · last used{" "}
                {formatDate(token.last_used_at)}
              </small>
              <button
                type="button"
                className="small danger"
                aria-label={`Revoke ${token.name}`}
                disabled={revoke.isPending}
                onClick={() => revoke.mutate(token.id)}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      {revoke.error && (
        <p className="form-error" role="alert">
          {errorMessage(revoke.error)}
        </p>
      )}
    </section>
  );
}

function NewToken({ onCreated }: { onCreated: (token: Created) => void }) {
  const { me } = useAuth();
  const mine = (me?.permissions ?? []) as Permission[];
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Permission[]>([]);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/auth/api-tokens", {
          body: { name, scopes: scopes.length ? scopes : null },
        }),
      ),
    onSuccess: (token) => {
      setName("");
      setScopes([]);
      onCreated(token);
    },
  });
  const errors = fieldErrorsOf(create.error);
  const other = unplacedError(create.error, ["name", "scopes"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} noValidate aria-label="New API token">
      <Field label="Token name" error={errors.name} hint="What it is for, e.g. backup script.">
        {(p) => (
          <input {...p} maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <fieldset>
        <legend>Scopes (none checked: all your permissions but account management)</legend>
        <div className="checks">
          {mine.map((permission) => (
            <label key={permission} className="inline">
              <input
                type="checkbox"
                checked={scopes.includes(permission)}
                onChange={(e) =>
                  setScopes(
                    e.target.checked
                      ? [...scopes, permission]
                      : scopes.filter((s) => s !== permission),
                  )
                }
              />
              {permission}
            </label>
          ))}
        </div>
        {errors.scopes && (
          <p className="field-error" role="alert">
            {errors.scopes}
          </p>
        )}
      </fieldset>
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}

function CreatedToken({ token, onDismiss }: { token: Created; onDismiss: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="notice success stack" role="status">
      <p>
        Token <strong>{token.name}</strong> created. Copy it now: it is shown only once.
      </p>
      <label className="token-field">
        <span className="visually-hidden">The new token</span>
        <input readOnly value={token.token} onFocus={(e) => e.target.select()} />
      </label>
      <div className="form-actions">
        <button type="button" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy token"}
        </button>
        <button type="button" onClick={onDismiss}>
          Done
        </button>
        {copied === false && <span>Copying was refused: select the token and copy it.</span>}
      </div>
    </div>
  );
}
