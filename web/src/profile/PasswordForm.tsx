import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, unwrap } from "../api/client";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { profileKeys } from "./keys";

const MIN_LENGTH = 8;

/** Change the password: the present one is required; other sessions are signed out. */
export function PasswordForm() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);
  const change = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/auth/me", { body: { current_password: current, new_password: next } }),
      ),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setRepeat("");
      setDone(true);
      void queryClient.invalidateQueries({ queryKey: profileKeys.sessions });
    },
  });
  const server = fieldErrorsOf(change.error);
  const errors = { ...server, ...local };
  const other = unplacedError(change.error, ["current_password", "new_password"]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    const problems: Record<string, string> = {};
    if (!current) problems.current_password = "Enter your present password.";
    if (next.length < MIN_LENGTH)
      problems.new_password = `The new password needs at least ${MIN_LENGTH} characters.`;
    else if (next !== repeat) problems.repeat = "The two new passwords differ.";
    setLocal(problems);
    if (Object.keys(problems).length) return;
    change.reset();
    change.mutate();
  };
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <Field label="Current password" error={errors.current_password}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        )}
      </Field>
      <Field
        label="New password"
        error={errors.new_password}
        hint={`At least ${MIN_LENGTH} characters.`}
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        )}
      </Field>
      <Field label="New password again" error={errors.repeat}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
          />
        )}
      </Field>
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
        {done && (
          <span className="saved-ok" role="status">
            Password changed; your other sessions were signed out.
          </span>
        )}
      </div>
    </form>
  );
}
