import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, unwrap } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { authKeys } from "../auth/keys";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { TimeZonePicker } from "../components/TimeZonePicker";

/** The caller's e-mail and time zone (PATCH /api/auth/me). */
export function AccountForm() {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState(me?.email ?? "");
  const [timezone, setTimezone] = useState(me?.timezone ?? "UTC");
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH("/api/auth/me", { body: { email, timezone } })),
    onSuccess: (result) => {
      queryClient.setQueryData(authKeys.me, result);
      setSaved(true);
    },
  });
  const errors = fieldErrorsOf(save.error);
  const other = unplacedError(save.error, ["email", "timezone"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    save.mutate();
  };
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      <p className="muted">
        Signed in as <strong>{me?.username}</strong> ({me?.roles.join(", ")})
      </p>
      <Field
        label="E-mail"
        error={errors.email}
        hint="Addresses on a home network (name@nas.local, admin@localhost) are fine."
      >
        {(p) => (
          <input
            {...p}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => {
              setSaved(false);
              setEmail(e.target.value);
            }}
          />
        )}
      </Field>
      <Field label="Time zone" error={errors.timezone}>
        {(p) => (
          <TimeZonePicker
            inputProps={p}
            value={timezone}
            onChange={(zone) => {
              setSaved(false);
              setTimezone(zone);
            }}
          />
        )}
      </Field>
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save account"}
        </button>
        {saved && (
          <span className="saved-ok" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}
