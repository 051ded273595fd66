import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { TimeZonePicker } from "../components/TimeZonePicker";
import { browserTimeZone } from "../components/timeZones";
import { ROLES } from "../api/enums";
import { Dialog } from "../components/Dialog";
import { Field, fieldErrorsOf, unplacedError } from "../components/Field";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { toggled } from "../components/lists";
import { ListTable } from "../components/ListTable";
import { adminKeys } from "./keys";

type User = Schemas["UserOut"];
type Role = (typeof ROLES)[number];
const PAGE = 50;

/** Every user, page by page (the API pages by id; search filters what is loaded). */
export function useUsers(enabled = true) {
  return useInfiniteQuery({
    queryKey: adminKeys.users,
    enabled,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/users", {
          params: { query: { limit: PAGE, cursor: pageParam ?? undefined } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  });
}

function RolesChoice({
  value,
  onChange,
  error,
}: {
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  return (
    <fieldset>
      <legend>Roles</legend>
      <div className="checks">
        {ROLES.map((role) => (
          <label key={role} className="inline">
            <input
              type="checkbox"
              checked={value.includes(role)}
              onChange={() => onChange(toggled(value, role, ROLES))}
            />
            {role}
          </label>
        ))}
      </div>
      <small className="muted">
        user: read and dashboards · operator: + send and audit · admin: everything
      </small>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function CreateUser({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    username: "",
    email: "",
    password: "",
    roles: ["user"],
    timezone: browserTimeZone(),
  });
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/users", { body: { ...form, roles: form.roles as Role[] } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.users });
      onDone();
    },
  });
  const errors = fieldErrorsOf(create.error);
  const known = ["username", "email", "password", "roles", "timezone"];
  const other = unplacedError(create.error, known);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate className="stack">
      <div className="form-grid">
        <Field label="Username" error={errors.username}>
          {(p) => (
            <input
              {...p}
              autoComplete="off"
              value={form.username}
              onChange={(e) => setForm({ ...form, username: e.target.value })}
            />
          )}
        </Field>
        <Field label="E-mail" error={errors.email}>
          {(p) => (
            <input
              {...p}
              type="email"
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.target.value })}
            />
          )}
        </Field>
        <Field label="Password" error={errors.password}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          )}
        </Field>
        <Field label="Time zone" error={errors.timezone}>
          {(p) => (
            <TimeZonePicker
              inputProps={p}
              value={form.timezone}
              onChange={(timezone) => setForm({ ...form, timezone })}
            />
          )}
        </Field>
      </div>
      <RolesChoice
        value={form.roles}
        onChange={(roles) => setForm({ ...form, roles })}
        error={errors.roles}
      />
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create user"}
        </button>
      </div>
    </form>
  );
}

function EditUser({ user, onDone }: { user: User; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [email, setEmail] = useState(user.email);
  const [timezone, setTimezone] = useState(user.timezone);
  const [password, setPassword] = useState("");
  const update = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/users/{user_id}", {
          params: { path: { user_id: user.id } },
          body: { roles: roles as Role[], email, timezone, ...(password ? { password } : {}) },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.users });
      onDone();
    },
  });
  const errors = fieldErrorsOf(update.error);
  const known = ["roles", "email", "timezone", "password"];
  const other = unplacedError(update.error, known);
  return (
    <form
      noValidate
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate();
      }}
    >
      <div className="form-grid">
        <Field label="E-mail" error={errors.email}>
          {(p) => (
            <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          )}
        </Field>
        <Field label="Time zone" error={errors.timezone}>
          {(p) => <TimeZonePicker inputProps={p} value={timezone} onChange={setTimezone} />}
        </Field>
        <Field
          label="New password"
          error={errors.password}
          hint="Leave empty to keep it. Setting one signs the user out everywhere."
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
      </div>
      <RolesChoice value={roles} onChange={setRoles} error={errors.roles} />
      {other && (
        <p className="form-error" role="alert">
          {other}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save user"}
        </button>
      </div>
    </form>
  );
}

export function UsersAdmin() {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const users = useUsers();
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const toggleActive = useMutation({
    mutationFn: (user: User) =>
      unwrap(
        api.PATCH("/api/users/{user_id}", {
          params: { path: { user_id: user.id } },
          body: { is_active: !user.is_active },
        }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: adminKeys.users }),
  });
  const all = useMemo(() => users.data?.pages.flatMap((page) => page.items) ?? [], [users.data]);
  const needle = search.trim().toLowerCase();
  const shown = needle
    ? all.filter((u) =>
        [u.username, u.email, ...u.roles].some((text) => text.toLowerCase().includes(needle)),
      )
    : all;

  return (
    <section className="page">
      <div className="page-header">
        <h1>Users and roles</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Create user
        </button>
      </div>
      <div className="toolbar">
        <label className="inline grow">
          <span className="visually-hidden">Search users</span>
          <input
            type="search"
            placeholder="Search name, e-mail or role"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <span className="muted" role="status">
          {users.data
            ? `${shown.length} of ${all.length}${users.hasNextPage ? "+" : ""} users`
            : ""}
        </span>
      </div>
      <QueryStatus isPending={users.isPending} error={users.error} label="users" />
      {toggleActive.error && (
        <p className="notice error" role="alert">
          {errorMessage(toggleActive.error)}
        </p>
      )}
      {users.data && shown.length === 0 && <p className="empty">No user matches.</p>}
      {shown.length > 0 && (
        <ListTable
          label="Users"
          rows={shown}
          rowKey={(user) => user.id}
          name={{
            header: "User",
            cell: (user) => (
              <>
                <strong>{user.username}</strong>
                <br />
                <small>{user.email}</small>
              </>
            ),
          }}
          columns={[
            {
              header: "Roles",
              cell: (user) =>
                user.roles.map((role) => (
                  <span
                    key={role}
                    className={`badge ${role === "admin" ? "urgent" : role === "operator" ? "warning" : "info"}`}
                  >
                    {role}
                  </span>
                )),
            },
            { header: "Time zone", cell: (user) => user.timezone },
            {
              header: "State",
              cell: (user) => (
                <span className={`badge ${user.is_active ? "success" : "error"}`}>
                  {user.is_active ? "active" : "disabled"}
                </span>
              ),
            },
            { header: "Last sign-in", cell: (user) => formatDate(user.last_login_at) },
          ]}
          actions={(user) => (
            <>
              <button
                type="button"
                className="small"
                aria-label={`Edit / reset password for ${user.username}`}
                onClick={() => setEditing(user)}
              >
                Edit / reset password
              </button>
              <button
                type="button"
                className={`small ${user.is_active ? "danger" : ""}`}
                disabled={toggleActive.isPending || user.id === me?.id}
                title={user.id === me?.id ? "You cannot disable yourself" : undefined}
                aria-label={`${user.is_active ? "Disable" : "Enable"} ${user.username}`}
                onClick={() => toggleActive.mutate(user)}
              >
                {user.is_active ? "Disable" : "Enable"}
              </button>
            </>
          )}
        />
      )}
      {users.hasNextPage && (
        <div className="pager">
          <button
            type="button"
            onClick={() => void users.fetchNextPage()}
            disabled={users.isFetchingNextPage}
          >
            {users.isFetchingNextPage ? "Loading…" : "Load more users"}
          </button>
        </div>
      )}
      <Dialog title="Create a user" open={creating} onClose={() => setCreating(false)}>
        {creating && <CreateUser onDone={() => setCreating(false)} />}
      </Dialog>
      <Dialog
        title={editing ? `Edit ${editing.username}` : "Edit user"}
        open={editing !== null}
        onClose={() => setEditing(null)}
      >
        {editing && <EditUser user={editing} onDone={() => setEditing(null)} />}
      </Dialog>
    </section>
  );
}
