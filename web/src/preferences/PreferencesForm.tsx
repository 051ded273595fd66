import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import type { FormEvent } from "react";

import { api, ApiError, errorMessage, unwrap, type Schemas } from "../api/client";
import { NOTIFICATION_TYPES, PRIORITIES } from "../api/enums";
import { Field, fieldErrorsOf } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { toggled } from "../components/lists";
import { sameBody, toBody, toDraft, type Draft, type Preferences } from "./prefs";
import { TimeZonePicker } from "../components/TimeZonePicker";
import "./preferences.css";
import { preferenceKeys } from "./keys";

export function PreferencesForm() {
  const query = useQuery({
    queryKey: preferenceKeys.notifications,
    queryFn: () => unwrap(api.GET("/api/notifications/preferences")),
  });
  if (!query.data)
    return <QueryStatus isPending={query.isPending} error={query.error} label="your preferences" />;
  return <Editor saved={query.data} />;
}

type ChannelSetup = Schemas["ChannelSetup"];

/** A channel's switch; while the server cannot deliver on it, shown off and disabled, saying
 *  what is missing and how to set it up (the stored wish is kept for when it is). */
function SetupCheckbox({
  label,
  setup,
  checked,
  onChange,
}: {
  label: string;
  setup: ChannelSetup | undefined;
  checked: boolean;
  onChange: (on: boolean) => void;
}) {
  const id = useId();
  const ready = setup?.configured ?? true;
  return (
    <div className="setup-check">
      <label className="inline">
        <input
          type="checkbox"
          checked={checked && ready}
          disabled={!ready}
          aria-describedby={ready ? undefined : `${id}-setup`}
          onChange={(e) => onChange(e.target.checked)}
        />
        {label}
      </label>
      {!ready && setup && (
        <small id={`${id}-setup`} className="hint">
          <strong>Not configured.</strong> {setup.missing} {setup.how}
        </small>
      )}
    </div>
  );
}

function Editor({ saved }: { saved: Preferences }) {
  const queryClient = useQueryClient();
  const { data: setup } = useQuery({
    queryKey: preferenceKeys.deliverySetup,
    queryFn: () => unwrap(api.GET("/api/notifications/preferences/delivery-setup")),
  });
  const [draft, setDraft] = useState<Draft>(() => toDraft(saved));
  const [base, setBase] = useState<Draft>(() => toDraft(saved));
  const [justSaved, setJustSaved] = useState(false);
  const dirty = !sameBody(draft, base);

  const save = useMutation({
    mutationFn: (body: Draft) =>
      unwrap(api.PUT("/api/notifications/preferences", { body: toBody(body) })),
    onSuccess: (result) => {
      queryClient.setQueryData(preferenceKeys.notifications, result);
      const next = toDraft(result);
      setDraft(next);
      setBase(next);
      setJustSaved(true);
    },
  });

  // Leaving the page with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setJustSaved(false);
    setDraft((current) => ({ ...current, [key]: value }));
  };
  const errors = fieldErrorsOf(save.error);
  const message = save.error ? errorMessage(save.error) : "";
  // Rules over several fields (quiet hours start/end) come without a field: shown with them.
  const quietError =
    errors.quiet_hours_start ??
    errors.quiet_hours_end ??
    (message.includes("quiet_hours") && !Object.keys(errors).length ? message : null);
  const generalError = save.error && !Object.keys(errors).length && !quietError ? message : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(draft);
  };

  return (
    <form
      className="prefs-form stack"
      onSubmit={submit}
      noValidate
      aria-label="Notification preferences"
    >
      <fieldset>
        <legend>Channels</legend>
        <div className="checks">
          <label className="inline">
            <input
              type="checkbox"
              checked={draft.websocket_enabled}
              onChange={(e) => set("websocket_enabled", e.target.checked)}
            />
            Live in the browser (WebSocket)
          </label>
          <SetupCheckbox
            label="E-mail"
            setup={setup?.email}
            checked={draft.email_enabled}
            onChange={(on) => set("email_enabled", on)}
          />
          <SetupCheckbox
            label="Web push"
            setup={setup?.push}
            checked={draft.push_enabled}
            onChange={(on) => set("push_enabled", on)}
          />
          <label className="inline">
            <input
              type="checkbox"
              checked={draft.auto_mark_read}
              onChange={(e) => set("auto_mark_read", e.target.checked)}
            />
            Mark as read once delivered live
          </label>
        </div>
        {["websocket_enabled", "email_enabled", "push_enabled", "auto_mark_read"].map(
          (key) =>
            errors[key] && (
              <p key={key} className="field-error" role="alert">
                {errors[key]}
              </p>
            ),
        )}
      </fieldset>

      <fieldset>
        <legend>What is pushed</legend>
        <div className="field">
          <span id="types-label" className="field-label">
            Notification types
          </span>
          <div className="checks" role="group" aria-labelledby="types-label">
            {NOTIFICATION_TYPES.map((type) => (
              <label key={type} className="inline">
                <input
                  type="checkbox"
                  checked={draft.notification_types.includes(type)}
                  onChange={() =>
                    set(
                      "notification_types",
                      toggled(draft.notification_types, type, NOTIFICATION_TYPES),
                    )
                  }
                />
                {type}
              </label>
            ))}
          </div>
          <small className="hint">Unchecked types are still stored and listed, never pushed.</small>
          {errors.notification_types && (
            <p className="field-error" role="alert">
              {errors.notification_types}
            </p>
          )}
        </div>
        <div className="form-grid">
          <Field
            label="Minimum priority"
            error={errors.min_priority}
            hint="Lower priorities are stored, not pushed."
          >
            {(props) => (
              <select
                {...props}
                value={draft.min_priority}
                onChange={(e) => set("min_priority", e.target.value)}
              >
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="E-mail digest"
            error={errors.email_digest}
            hint="Gather e-mails into one per hour or day (urgent ones go at once)."
          >
            {(props) => (
              <select
                {...props}
                value={draft.email_digest}
                onChange={(e) => set("email_digest", e.target.value)}
              >
                <option value="off">Off — send each e-mail</option>
                <option value="hourly">Hourly</option>
                <option value="daily">Daily</option>
              </select>
            )}
          </Field>
          <Field
            label="Keep at most (notifications)"
            error={errors.max_notifications}
            hint="Beyond it the oldest read ones are deleted first. Empty: keep everything."
          >
            {(props) => (
              <input
                {...props}
                inputMode="numeric"
                value={draft.max_notifications}
                placeholder="No limit"
                onChange={(e) => set("max_notifications", e.target.value)}
              />
            )}
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>Quiet hours and time zone</legend>
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.quiet_enabled}
            onChange={(e) => set("quiet_enabled", e.target.checked)}
          />
          Hold notifications during quiet hours
        </label>
        <div className="form-grid">
          <Field label="Quiet from" error={errors.quiet_hours_start}>
            {(props) => (
              <input
                {...props}
                type="time"
                disabled={!draft.quiet_enabled}
                value={draft.quiet_hours_start}
                onChange={(e) => set("quiet_hours_start", e.target.value)}
              />
            )}
          </Field>
          <Field label="Quiet until" error={errors.quiet_hours_end}>
            {(props) => (
              <input
                {...props}
                type="time"
                disabled={!draft.quiet_enabled}
                value={draft.quiet_hours_end}
                onChange={(e) => set("quiet_hours_end", e.target.value)}
              />
            )}
          </Field>
          <Field
            label="Time zone"
            error={errors.timezone}
            hint="Quiet hours and digests follow this zone."
          >
            {(props) => (
              <TimeZonePicker
                value={draft.timezone}
                onChange={(zone) => set("timezone", zone)}
                inputProps={props}
              />
            )}
          </Field>
        </div>
        {quietError && !errors.quiet_hours_start && !errors.quiet_hours_end && (
          <p className="field-error" role="alert">
            {quietError}
          </p>
        )}
        <p className="notice">
          During quiet hours notifications are stored and listed but not pushed; they are released
          when the window ends. <strong>Urgent notifications always pass.</strong> A window may span
          midnight.
        </p>
      </fieldset>

      <div className="form-actions sticky-actions">
        <button type="submit" className="primary" disabled={save.isPending || !dirty}>
          {save.isPending ? "Saving…" : "Save preferences"}
        </button>
        <button
          type="button"
          disabled={!dirty || save.isPending}
          onClick={() => {
            setDraft(base);
            save.reset();
          }}
        >
          Discard changes
        </button>
        <span role="status" aria-live="polite">
          {dirty ? (
            <span className="unsaved">Unsaved changes</span>
          ) : justSaved ? (
            <span className="saved-ok">✓ Preferences saved</span>
          ) : null}
        </span>
        {generalError && (
          <p className="form-error" role="alert">
            {save.error instanceof ApiError ? generalError : `Could not save: ${generalError}`}
          </p>
        )}
      </div>
    </form>
  );
}
