// The configuration form of each channel kind (mirrors the server's config models; the server
// validates and its messages are shown next to these fields).
export type Kind = "email" | "webhook" | "webpush" | "apprise";

export interface ConfigField {
  key: string;
  label: string;
  input: "text" | "number" | "secret" | "select" | "json";
  options?: string[];
  placeholder?: string;
  hint?: string;
}

export const KINDS: { kind: Kind; label: string; fields: ConfigField[] }[] = [
  {
    kind: "webhook",
    label: "Webhook",
    fields: [
      {
        key: "url",
        label: "URL",
        input: "text",
        placeholder: "https://example.com/hooks/wakedock",
      },
      { key: "secret", label: "Signing secret (HMAC-SHA256)", input: "secret" },
      {
        key: "headers",
        label: "Extra headers (JSON object)",
        input: "json",
        placeholder: '{"X-Team": "ops"}',
      },
      { key: "timeout_seconds", label: "Timeout (seconds)", input: "number", placeholder: "10" },
    ],
  },
  {
    kind: "email",
    label: "E-mail (SMTP)",
    fields: [
      { key: "host", label: "SMTP host", input: "text", placeholder: "smtp.example.com" },
      { key: "port", label: "Port", input: "number", placeholder: "587" },
      { key: "tls_mode", label: "TLS", input: "select", options: ["starttls", "tls", "none"] },
      { key: "username", label: "Username", input: "text" },
      { key: "password", label: "Password", input: "secret" },
      {
        key: "from_address",
        label: "From address",
        input: "text",
        placeholder: "wakedock@example.com",
      },
      { key: "from_name", label: "From name", input: "text", placeholder: "WakeDock" },
    ],
  },
  {
    kind: "webpush",
    label: "Web push (VAPID)",
    fields: [
      {
        key: "vapid_public_key",
        label: "VAPID public key",
        input: "text",
        hint: "`wakedock vapid generate` makes a pair.",
      },
      { key: "vapid_private_key", label: "VAPID private key", input: "secret" },
      { key: "subject", label: "Subject", input: "text", placeholder: "mailto:admin@example.com" },
    ],
  },
  {
    kind: "apprise",
    label: "Apprise",
    fields: [
      {
        key: "url",
        label: "Apprise URL",
        input: "secret",
        placeholder: "slack://… discord://… ntfy://…",
      },
      { key: "tag", label: "Tag (optional)", input: "text" },
    ],
  },
];

export function kindInfo(kind: string) {
  return KINDS.find((k) => k.kind === kind) ?? KINDS[0];
}

/** Form values (strings) → config. Empty optional values are left out; untouched secrets too
 *  (the server keeps a stored secret that a change leaves out). Values the form cannot parse are
 *  sent as typed so the server explains them. `base` keeps settings the form has no field for. */
export function toConfig(
  kind: Kind,
  values: Record<string, string>,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...base };
  for (const field of kindInfo(kind).fields) {
    const raw = (values[field.key] ?? "").trim();
    delete config[field.key];
    if (raw === "") continue;
    if (field.input === "number") config[field.key] = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    else if (field.input === "json") {
      try {
        config[field.key] = JSON.parse(raw);
      } catch {
        config[field.key] = raw;
      }
    } else config[field.key] = raw;
  }
  return config;
}

/** A stored (secret-free) config → form values. */
export function toValues(kind: Kind, config: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of kindInfo(kind).fields) {
    const value = config[field.key];
    if (field.input === "secret" || value === undefined || value === null) values[field.key] = "";
    else if (field.input === "json")
      values[field.key] = Object.keys(value as object).length ? JSON.stringify(value) : "";
    else values[field.key] = String(value);
  }
  return values;
}
