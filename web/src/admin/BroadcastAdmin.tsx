import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { FormEvent, KeyboardEvent, ReactNode } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { NOTIFICATION_TYPES, PRIORITIES, ROLES } from "../api/enums";
import { ConfirmDialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { toggled } from "../components/lists";
import { useDebounced } from "../components/useDebounced";
import { plural } from "../components/words";
import { TableWrap } from "../components/TableWrap";
import { useUsers } from "./UsersAdmin";
import { adminKeys } from "./keys";

type Audience = Schemas["Audience"];
type Mode = "all" | "roles" | "users";
type Picked = { id: number; username: string };

function audienceOf(mode: Mode, roles: string[], picked: Picked[]): Audience | null {
  if (mode === "all") return { all: true };
  if (mode === "roles") return roles.length ? { roles: roles as Audience["roles"] } : null;
  return picked.length ? { user_ids: picked.map((u) => u.id) } : null;
}

/** Pick users by name: type, arrow keys to choose, Enter to add, Escape to close. */
function UserPicker({
  picked,
  onChange,
}: {
  picked: Picked[];
  onChange: (users: Picked[]) => void;
}) {
  const { can } = useAuth();
  const users = useUsers(can("users:admin"));
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const all = useMemo(() => users.data?.pages.flatMap((p) => p.items) ?? [], [users.data]);
  const needle = text.trim().toLowerCase();
  const matches = needle
    ? all
        .filter((u) => u.is_active && !picked.some((p) => p.id === u.id))
        .filter(
          (u) =>
            u.username.toLowerCase().includes(needle) || u.email.toLowerCase().includes(needle),
        )
        .slice(0, 8)
    : [];
  const add = (user: Picked) => {
    onChange([...picked, { id: user.id, username: user.username }]);
    setText("");
    setActive(0);
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setActive((i) => Math.min(i + 1, matches.length - 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (event.key === "Enter" && matches[active]) {
      event.preventDefault();
      add(matches[active]);
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  };
  if (!can("users:admin")) {
    return <p className="notice">Picking users by name needs the permission users:admin.</p>;
  }
  return (
    <div className="field">
      <label htmlFor="pick-user">Add users by name</label>
      <input
        id="pick-user"
        role="combobox"
        aria-expanded={open && matches.length > 0}
        aria-controls="pick-user-list"
        aria-autocomplete="list"
        aria-activedescendant={
          open && matches[active] ? `pick-user-${matches[active].id}` : undefined
        }
        value={text}
        placeholder={users.isPending ? "Loading users…" : "Type a username or e-mail"}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onKeyDown={onKey}
        onBlur={() => setOpen(false)}
        onFocus={() => setOpen(true)}
      />
      {open && matches.length > 0 && (
        <ul id="pick-user-list" role="listbox" className="suggestions" aria-label="Matching users">
          {matches.map((user, i) => (
            <li
              key={user.id}
              id={`pick-user-${user.id}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                add(user);
              }}
            >
              {user.username} <small>{user.email}</small>
            </li>
          ))}
        </ul>
      )}
      {open && needle && matches.length === 0 && users.data && (
        <small className="muted">No active user matches.</small>
      )}
      <ul className="picked" aria-label="Chosen users">
        {picked.map((user) => (
          <li key={user.id} className="badge info">
            {user.username}
            <button
              type="button"
              className="ghost small"
              aria-label={`Remove ${user.username}`}
              onClick={() => onChange(picked.filter((p) => p.id !== user.id))}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** How many users the audience reaches now (null while unknown). */
function useRecipientCount(audience: Audience | null) {
  const settled = useDebounced(audience, 250);
  const count = useQuery({
    queryKey: adminKeys.audience(settled),
    enabled: settled !== null,
    staleTime: 0,
    queryFn: () =>
      unwrap(api.POST("/api/notifications/broadcast/audience", { body: { target: settled! } })),
  });
  const current =
    count.data && JSON.stringify(settled) === JSON.stringify(audience)
      ? count.data.recipients
      : null;
  return { count, settled, current };
}

function RecipientCount({
  audience,
  state,
}: {
  audience: Audience | null;
  state: ReturnType<typeof useRecipientCount>;
}) {
  const { count, settled } = state;
  let text: ReactNode;
  if (audience === null) text = "Choose at least one role or user.";
  else if (count.error)
    text = <span className="field-error">Could not count: {errorMessage(count.error)}</span>;
  else if (!count.data || JSON.stringify(settled) !== JSON.stringify(audience))
    text = "Counting recipients…";
  else
    text = (
      <>
        <strong data-testid="recipient-count">{count.data.recipients}</strong>{" "}
        {count.data.recipients === 1 ? "recipient" : "recipients"} (active users, counted now)
      </>
    );
  return (
    <p
      className="recipient-count notice"
      role="status"
      aria-live="polite"
      aria-label="Recipient count"
    >
      {text}
    </p>
  );
}

function History() {
  const history = useQuery({
    queryKey: adminKeys.broadcasts,
    queryFn: () =>
      unwrap(api.GET("/api/notifications/broadcasts", { params: { query: { limit: 50 } } })),
    // Keep the progress moving while a fan-out runs.
    refetchInterval: (query) =>
      query.state.data?.some((b) => b.status !== "completed") ? 2000 : false,
  });
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Past broadcasts</h2>
      <QueryStatus isPending={history.isPending} error={history.error} label="broadcasts" />
      {history.data?.length === 0 && <p className="empty">Nothing broadcast yet.</p>}
      {history.data && history.data.length > 0 && (
        <TableWrap>
          <table aria-label="Past broadcasts">
            <thead>
              <tr>
                <th>Sent</th>
                <th>Title</th>
                <th>Audience</th>
                <th>Status</th>
                <th>Delivered</th>
                <th>Read</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((b) => (
                <tr key={b.id}>
                  <td>{formatDate(b.created_at)}</td>
                  <td>
                    {b.title}{" "}
                    <span
                      className={`badge ${b.priority === "urgent" || b.priority === "high" ? "urgent" : ""}`}
                    >
                      {b.priority}
                    </span>{" "}
                    <span className="badge">{b.type}</span>
                  </td>
                  <td>{describeTarget(b.target)}</td>
                  <td>
                    <span className={`badge ${b.status === "completed" ? "success" : "warning"}`}>
                      {b.status}
                    </span>
                  </td>
                  <td>
                    <progress
                      className="progress"
                      max={Math.max(b.recipients, 1)}
                      value={b.delivered}
                      aria-label={`Delivered ${b.delivered} of ${b.recipients}`}
                    />{" "}
                    {b.delivered} / {b.recipients}
                  </td>
                  <td>{b.read}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

function describeTarget(target: Record<string, unknown>): string {
  if (target.all) return "everyone";
  if (Array.isArray(target.roles)) return `roles: ${target.roles.join(", ")}`;
  if (Array.isArray(target.user_ids)) return plural(target.user_ids.length, "chosen user");
  return JSON.stringify(target);
}

export function BroadcastAdmin() {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const templates = useQuery({
    queryKey: adminKeys.templates,
    enabled: can("notifications:admin"),
    queryFn: () => unwrap(api.GET("/api/notifications/templates")),
  });
  const [template, setTemplate] = useState("");
  const [variables, setVariables] = useState("{}");
  const [title, setTitle] = useState("");
  const [message, setMessage] = useState("");
  const [type, setType] = useState("");
  const [priority, setPriority] = useState("");
  const [actionUrl, setActionUrl] = useState("");
  const [actionLabel, setActionLabel] = useState("");
  const [mode, setMode] = useState<Mode>("roles");
  const [roles, setRoles] = useState<string[]>([]);
  const [picked, setPicked] = useState<Picked[]>([]);
  const [sent, setSent] = useState<Schemas["BroadcastAccepted"] | null>(null);
  const [variablesError, setVariablesError] = useState<string | null>(null);
  // The composed broadcast waiting for the "Send it?" confirmation.
  const [confirming, setConfirming] = useState<Schemas["BroadcastIn"] | null>(null);
  const audience = audienceOf(mode, roles, picked);
  const recipientCount = useRecipientCount(audience);

  const send = useMutation({
    mutationFn: (body: Schemas["BroadcastIn"]) =>
      unwrap(api.POST("/api/notifications/broadcast", { body })),
    onSuccess: (result) => {
      setSent(result);
      setTitle("");
      setMessage("");
      void queryClient.invalidateQueries({ queryKey: adminKeys.broadcasts });
    },
  });
  const errors = fieldErrorsOf(send.error);
  const known = [
    "title",
    "message",
    "type",
    "priority",
    "action_url",
    "action_label",
    "template",
    "variables",
    "target",
  ];
  const other = unplacedError(send.error, known);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSent(null);
    if (!audience) return;
    let vars: Record<string, unknown> = {};
    if (template) {
      try {
        vars = JSON.parse(variables || "{}") as Record<string, unknown>;
        setVariablesError(null);
      } catch (error) {
        setVariablesError(`Not valid JSON: ${errorMessage(error)}`);
        return;
      }
    }
    const body: Schemas["BroadcastIn"] = {
      target: audience,
      ...(template ? { template, variables: vars } : { title, message: message || null }),
      type: (type || null) as Schemas["BroadcastIn"]["type"],
      priority: (priority || null) as Schemas["BroadcastIn"]["priority"],
      action_url: actionUrl || null,
      action_label: actionLabel || null,
    };
    setConfirming(body);
  };
  const recipients =
    recipientCount.current === null
      ? "the chosen recipients"
      : plural(recipientCount.current, "recipient");

  return (
    <section className="page">
      <div className="page-header">
        <h1>Broadcast</h1>
      </div>
      <form className="card stack" onSubmit={submit} noValidate aria-label="Compose a broadcast">
        <div className="form-grid">
          <Field
            label="Template"
            error={errors.template}
            hint={
              can("notifications:admin")
                ? "Optional: the template gives title and message."
                : "Templates need notifications:admin."
            }
          >
            {(p) => (
              <select
                {...p}
                value={template}
                onChange={(e) => setTemplate(e.target.value)}
                disabled={!templates.data}
              >
                <option value="">None — write the message</option>
                {templates.data?.map((t) => (
                  <option key={t.id} value={t.name}>
                    {t.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Type" error={errors.type}>
            {(p) => (
              <select {...p} value={type} onChange={(e) => setType(e.target.value)}>
                <option value="">{template ? "From the template" : "info (default)"}</option>
                {NOTIFICATION_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Priority" error={errors.priority}>
            {(p) => (
              <select {...p} value={priority} onChange={(e) => setPriority(e.target.value)}>
                <option value="">{template ? "From the template" : "normal (default)"}</option>
                {PRIORITIES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {template ? (
          <Field label="Template variables (JSON)" error={variablesError ?? errors.variables}>
            {(p) => (
              <textarea
                {...p}
                value={variables}
                onChange={(e) => setVariables(e.target.value)}
                spellCheck={false}
              />
            )}
          </Field>
        ) : (
          <>
            <Field label="Title" error={errors.title}>
              {(p) => (
                <input
                  {...p}
                  value={title}
                  maxLength={255}
                  onChange={(e) => setTitle(e.target.value)}
                />
              )}
            </Field>
            <Field label="Message" error={errors.message}>
              {(p) => (
                <textarea {...p} value={message} onChange={(e) => setMessage(e.target.value)} />
              )}
            </Field>
          </>
        )}
        <div className="form-grid">
          <Field label="Action URL (optional)" error={errors.action_url}>
            {(p) => (
              <input
                {...p}
                value={actionUrl}
                placeholder="https://…"
                onChange={(e) => setActionUrl(e.target.value)}
              />
            )}
          </Field>
          <Field label="Action label (optional)" error={errors.action_label}>
            {(p) => (
              <input
                {...p}
                value={actionLabel}
                placeholder="Open"
                onChange={(e) => setActionLabel(e.target.value)}
              />
            )}
          </Field>
        </div>
        <fieldset>
          <legend>Audience</legend>
          <div className="checks" role="radiogroup" aria-label="Audience">
            {(
              [
                ["all", "Everyone"],
                ["roles", "Roles"],
                ["users", "Chosen users"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="inline">
                <input
                  type="radio"
                  name="audience"
                  checked={mode === value}
                  onChange={() => setMode(value)}
                />
                {label}
              </label>
            ))}
          </div>
          {mode === "roles" && (
            <div className="checks" role="group" aria-label="Roles">
              {ROLES.map((role) => (
                <label key={role} className="inline">
                  <input
                    type="checkbox"
                    checked={roles.includes(role)}
                    onChange={() => setRoles(toggled(roles, role, ROLES))}
                  />
                  {role}
                </label>
              ))}
            </div>
          )}
          {mode === "users" && <UserPicker picked={picked} onChange={setPicked} />}
          {errors.target && (
            <p className="field-error" role="alert">
              {errors.target}
            </p>
          )}
          <RecipientCount audience={audience} state={recipientCount} />
        </fieldset>
        {other && (
          <p className="form-error" role="alert">
            {other}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={send.isPending || !audience}>
            {send.isPending ? "Sending…" : "Send broadcast"}
          </button>
          {sent && (
            <span className="saved-ok notice success" role="status">
              ✓ Broadcast #{sent.broadcast_id} accepted for {plural(sent.recipients, "recipient")}
            </span>
          )}
        </div>
      </form>
      {confirming && (
        <ConfirmDialog
          title="Send this broadcast?"
          message={`“${template || title}” goes to ${recipients} now; it cannot be recalled.`}
          confirmLabel="Send broadcast"
          onConfirm={() => {
            send.mutate(confirming);
            setConfirming(null);
          }}
          onClose={() => setConfirming(null)}
        />
      )}
      <History />
    </section>
  );
}
