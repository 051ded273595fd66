// The typed API client: paths, bodies and answers come from schema.d.ts, generated from the
// server's /openapi.json (`make client`). Every request carries the access token; a 401 refreshes
// once and retries.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";
import { currentAccessToken, refreshSession } from "./session";
import { fieldLabel, humanMessage } from "./validation";

export type Schemas = components["schemas"];

const retried = new WeakSet<Request>();
const retryCopies = new WeakMap<Request, Request>();

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await currentAccessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    // Keep an untouched copy so a 401 can be replayed with a new token (bodies are one-shot).
    retryCopies.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    const copy = retryCopies.get(request);
    retryCopies.delete(request);
    if (response.status !== 401 || !copy || retried.has(request)) return response;
    const sent = request.headers.get("Authorization")?.replace(/^Bearer /, "");
    const session = await refreshSession(sent ?? undefined);
    if (!session) return response;
    copy.headers.set("Authorization", `Bearer ${session.accessToken}`);
    retried.add(copy);
    return fetch(copy);
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

/** An API error in the server's one shape: `{"error": {"code", "message", "details"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }

  /** Field → readable message, from a 422's details (`loc` like ["body", "quiet_hours",
   *  "start"]; pydantic's wording mapped by humanMessage). */
  fieldErrors(): Record<string, string> {
    const result: Record<string, string> = {};
    if (!Array.isArray(this.details)) return result;
    for (const item of this.details as { loc?: unknown[]; msg?: string }[]) {
      const loc = (item.loc ?? []).filter((part) => part !== "body").join(".");
      if (loc && item.msg && !(loc in result)) result[loc] = humanMessage(item.msg);
    }
    return result;
  }

  /** The message to show: for a validation error, the first field's label and readable message. */
  humanMessage(): string {
    if (this.code !== "validation_error" || !Array.isArray(this.details)) return this.message;
    const first = (this.details as { loc?: unknown[]; msg?: string }[])[0];
    if (!first?.msg) return this.message;
    const loc = (first.loc ?? [])
      .filter((part) => !["body", "query", "path"].includes(String(part)))
      .join(".");
    return loc ? `${fieldLabel(loc)}: ${humanMessage(first.msg)}` : humanMessage(first.msg);
  }
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful call, or an ApiError carrying the server's message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as { error?: { code?: string; message?: string; details?: unknown } };
  throw new ApiError(
    response.status,
    body.error?.code ?? "http_error",
    body.error?.message ?? `HTTP ${response.status}`,
    body.error?.details ?? null,
  );
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.humanMessage();
  if (error instanceof Error) return error.message;
  return String(error);
}
