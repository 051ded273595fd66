import { useState } from "react";
import type { FormEvent } from "react";
import { Link } from "react-router-dom";

import { api, ApiError, errorMessage, unwrap, type Schemas } from "../api/client";
import { humanMessage } from "../api/validation";
import { NOTIFICATION_TYPES, PRIORITIES } from "../api/enums";
import { label, tone } from "../notifications/open";
import "../notifications/notifications.css";

interface Draft {
  title: string;
  message: string;
  type: string;
  priority: string;
  action_url: string;
  action_label: string;
}

const EMPTY: Draft = {
  title: "",
  message: "",
  type: "info",
  priority: "normal",
  action_url: "",
  action_label: "",
};

const PRESETS: { name: string; draft: Draft }[] = [
  {
    name: "Deploy succeeded",
    draft: {
      ...EMPTY,
      title: "Deploy of web 1.4 succeeded",
      message: "3 replicas healthy in 42 s.",
      type: "deployment",
      priority: "normal",
      action_url: "/dashboards",
      action_label: "Open dashboards",
    },
  },
  {
    name: "Backup done",
    draft: {
      ...EMPTY,
      title: "Backup done",
      message: "db1: 2.1 GB in 3 min.",
      type: "success",
      priority: "low",
    },
  },
  {
    name: "Disk almost full",
    draft: {
      ...EMPTY,
      title: "Disk almost full",
      message: "/var on host-3 is 93 % full.",
      type: "warning",
      priority: "high",
    },
  },
  {
    name: "Service down",
    draft: {
      ...EMPTY,
      title: "Service api is down",
      message: "Health checks failing for 2 minutes.",
      type: "error",
      priority: "urgent",
      action_url: "/notifications",
      action_label: "Investigate",
    },
  },
  {
    name: "New sign-in",
    draft: {
      ...EMPTY,
      title: "New sign-in",
      message: "A new session started from Firefox on Linux.",
      type: "security",
      priority: "high",
    },
  },
];

type FieldErrors = Partial<Record<keyof Draft | "form", string>>;

function errorsOf(failure: unknown): FieldErrors {
  if (!(failure instanceof ApiError)) return { form: errorMessage(failure) };
  const fields = failure.fieldErrors();
  const result: FieldErrors = {};
  for (const [loc, message] of Object.entries(fields)) {
    const name = loc.split(".")[0] as keyof Draft;
    if (name in EMPTY && !result[name]) result[name] = message;
  }
  // Errors about the whole body (e.g. "title is required…") belong to the field they name.
  if (Array.isArray(failure.details)) {
    for (const item of failure.details as { loc?: unknown[]; msg?: string }[]) {
      const loc = (item.loc ?? []).filter((part) => part !== "body");
      if (loc.length === 0 && item.msg) {
        const msg = humanMessage(item.msg);
        if (/\btitle\b/.test(msg) && !result.title) result.title = msg;
        else result.form = msg;
      }
    }
  }
  if (Object.keys(result).length === 0) result.form = failure.humanMessage();
  return result;
}

/** Send yourself test notifications of any type and priority. */
export function DemoPage() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<{ id: number; title: string } | null>(null);

  async function send(body: Draft) {
    setSending(true);
    setErrors({});
    setSent(null);
    try {
      const payload: Schemas["NotificationCreate"] = {
        title: body.title,
        message: body.message || null,
        type: body.type as Schemas["NotificationType"],
        priority: body.priority as Schemas["Priority"],
        action_url: body.action_url.trim() || null,
        action_label: body.action_label.trim() || null,
        source: "demo",
      };
      const created = (await unwrap(api.POST("/api/notifications", { body: payload }))) as {
        id: number;
        title: string;
      };
      setSent({ id: created.id, title: created.title });
    } catch (failure) {
      setErrors(errorsOf(failure));
    } finally {
      setSending(false);
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void send(draft);
  }

  function field<K extends keyof Draft>(name: K, value: Draft[K]) {
    setDraft((d) => ({ ...d, [name]: value }));
    if (errors[name]) setErrors((e) => ({ ...e, [name]: undefined }));
  }

  const describedBy = (name: keyof Draft) => (errors[name] ? `demo-${name}-error` : undefined);
  const fieldError = (name: keyof Draft) =>
    errors[name] && (
      <span className="field-error" id={`demo-${name}-error`}>
        {errors[name]}
      </span>
    );

  return (
    <section className="page demo-page">
      <div className="page-header">
        <h1>Demo: send yourself a notification</h1>
      </div>
      <p className="muted">
        It arrives live as a toast, in the bell and in the{" "}
        <Link to="/notifications">notification center</Link>, like any notification sent through the
        API.
      </p>

      <div className="card demo-presets">
        <h2>Quick presets</h2>
        <p className="muted">One click sends it.</p>
        <div className="toolbar">
          {PRESETS.map((preset) => (
            <button
              key={preset.name}
              type="button"
              className={`preset tone-${tone(preset.draft.type)}`}
              disabled={sending}
              onClick={() => {
                setDraft(preset.draft);
                void send(preset.draft);
              }}
            >
              {preset.name}
              <span className={`badge ${preset.draft.priority}`}>{preset.draft.priority}</span>
            </button>
          ))}
        </div>
      </div>

      <form
        className="card demo-form"
        onSubmit={onSubmit}
        noValidate
        aria-label="Custom notification"
      >
        <h2>Custom notification</h2>
        <div className="form-grid">
          <label>
            Title
            <input
              value={draft.title}
              onChange={(e) => field("title", e.target.value)}
              aria-invalid={Boolean(errors.title)}
              aria-describedby={describedBy("title")}
            />
            {fieldError("title")}
          </label>
          <label>
            Type
            <select
              value={draft.type}
              onChange={(e) => field("type", e.target.value)}
              aria-invalid={Boolean(errors.type)}
              aria-describedby={describedBy("type")}
            >
              {NOTIFICATION_TYPES.map((t) => (
                <option key={t} value={t}>
                  {label(t)}
                </option>
              ))}
            </select>
            {fieldError("type")}
          </label>
          <label>
            Priority
            <select
              value={draft.priority}
              onChange={(e) => field("priority", e.target.value)}
              aria-invalid={Boolean(errors.priority)}
              aria-describedby={describedBy("priority")}
            >
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {label(p)}
                </option>
              ))}
            </select>
            {fieldError("priority")}
          </label>
        </div>
        <label className="demo-message">
          Message
          <textarea
            value={draft.message}
            onChange={(e) => field("message", e.target.value)}
            aria-invalid={Boolean(errors.message)}
            aria-describedby={describedBy("message")}
          />
          {fieldError("message")}
        </label>
        <div className="form-grid">
          <label>
            Action URL (optional)
            <input
              value={draft.action_url}
              placeholder="/dashboards or https://…"
              onChange={(e) => field("action_url", e.target.value)}
              aria-invalid={Boolean(errors.action_url)}
              aria-describedby={describedBy("action_url")}
            />
            {fieldError("action_url")}
          </label>
          <label>
            Action label (optional)
            <input
              value={draft.action_label}
              placeholder="Open"
              onChange={(e) => field("action_label", e.target.value)}
              aria-invalid={Boolean(errors.action_label)}
              aria-describedby={describedBy("action_label")}
            />
            {fieldError("action_label")}
          </label>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={sending}>
            {sending ? "Sending…" : "Send notification"}
          </button>
          <button type="button" className="ghost" onClick={() => (setDraft(EMPTY), setErrors({}))}>
            Reset
          </button>
          <span role="status" className="demo-status">
            {sent && (
              <span className="notice success">
                Sent “{sent.title}” (#{sent.id}).{" "}
                <Link to="/notifications">See it in the center</Link>
              </span>
            )}
          </span>
        </div>
        {errors.form && (
          <p className="notice error" role="alert">
            {errors.form}
          </p>
        )}
      </form>
    </section>
  );
}
