// The integrations console's pure parts: the kinds, the target form ↔ the API's Target, and the
// ready-made receiver snippet shown once after a create (URL from the page's own origin).
import type { Schemas } from "../api/client";

export type Kind = Schemas["IntegrationIn"]["kind"];
export type Target = Schemas["Target"];
export type TargetMode = "topic" | "roles" | "user_ids";

export const KINDS: { kind: Kind; label: string; hint: string }[] = [
  { kind: "alertmanager", label: "Alertmanager", hint: "Prometheus Alertmanager webhook (v4)." },
  { kind: "grafana", label: "Grafana", hint: "Grafana alerting webhook contact point." },
  { kind: "github", label: "GitHub", hint: "Repository or organisation webhook (signed)." },
  { kind: "hook", label: "Generic hook", hint: "Any signed JSON webhook, mapped by templates." },
];

export function kindLabel(kind: string): string {
  return KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

export function targetMode(target: Target | undefined): TargetMode {
  if (target?.roles) return "roles";
  if (target?.user_ids) return "user_ids";
  return "topic";
}

export function targetText(target: Target | undefined): string {
  if (!target) return "";
  if (target.roles) return target.roles.join(", ");
  if (target.user_ids) return target.user_ids.join(", ");
  return target.topic ?? "";
}

const split = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The form's target as the API takes it (the server validates; ids that are not numbers are
 *  sent as they are so its message names them). */
export function toTarget(mode: TargetMode, text: string): Target {
  if (mode === "roles") return { roles: split(text) as Target["roles"] };
  if (mode === "user_ids")
    return { user_ids: split(text).map((s) => (/^\d+$/.test(s) ? Number(s) : s)) as number[] };
  return { topic: text.trim() };
}

export function describeTarget(target: Target): string {
  if (target.roles) return `roles: ${target.roles.join(", ")}`;
  if (target.user_ids) return `users: ${target.user_ids.join(", ")}`;
  return `topic: ${target.topic ?? ""}`;
}

/** What to paste into the sender's configuration, with the credential shown once. */
export function snippet(
  kind: string,
  url: string,
  credential: string,
  header?: string | null,
): string {
  switch (kind) {
    case "alertmanager":
      return [
        "receivers:",
        "  - name: wakedock",
        "    webhook_configs:",
        `      - url: ${url}`,
        "        send_resolved: true",
        "        http_config:",
        "          authorization:",
        "            type: Bearer",
        `            credentials: ${credential}`,
      ].join("\n");
    case "grafana":
      return [
        "Contact point → Integration: Webhook",
        `URL: ${url}`,
        "HTTP Method: POST",
        "Authorization Header - Scheme: Bearer",
        `Authorization Header - Credentials: ${credential}`,
      ].join("\n");
    case "github":
      return [
        "Settings → Webhooks → Add webhook",
        `Payload URL: ${url}`,
        "Content type: application/json",
        `Secret: ${credential}`,
      ].join("\n");
    default: {
      const name = header || "X-Signature-256";
      return [
        `body='{"title": "hello"}'`,
        `sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac '${credential}' -r | cut -d' ' -f1)`,
        `curl -s -X POST ${url} -H "Content-Type: application/json" \\`,
        `  -H "${name}: sha256=$sig" -d "$body"`,
      ].join("\n");
    }
  }
}
