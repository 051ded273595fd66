import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, errorMessage, unwrap } from "../api/client";
import { QueryStatus } from "../components/QueryStatus";
import { formatDate } from "../components/dates";
import { profileKeys } from "./keys";

/** The caller's live login sessions, and "sign out other sessions". */
export function SessionsList() {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: profileKeys.sessions,
    queryFn: () => unwrap(api.GET("/api/auth/sessions")),
  });
  const revoke = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/sessions/revoke-others")),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: profileKeys.sessions }),
  });
  const sessions = query.data ?? [];
  const others = sessions.filter((s) => !s.current).length;
  return (
    <section className="card stack" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Active sessions</h2>
      {!query.data ? (
        <QueryStatus isPending={query.isPending} error={query.error} label="your sessions" />
      ) : (
        <ul className="profile-list">
          {sessions.map((s) => (
            <li key={s.id}>
              <span className="profile-list-main">
                {describeAgent(s.user_agent)}
                {s.current && <span className="badge">This session</span>}
              </span>
              <small className="muted">
                {s.ip ?? "unknown address"} · signed in {formatDate(s.created_at)} · last active{" "}
                {formatDate(s.last_active_at)}
              </small>
            </li>
          ))}
        </ul>
      )}
      {revoke.error && (
        <p className="form-error" role="alert">
          {errorMessage(revoke.error)}
        </p>
      )}
      {revoke.data && (
        <p className="saved-ok" role="status">
          {revoke.data.revoked === 1
            ? "1 other session was signed out."
            : `${revoke.data.revoked} other sessions were signed out.`}
        </p>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="danger"
          disabled={revoke.isPending || others === 0}
          onClick={() => revoke.mutate()}
        >
          Sign out other sessions
        </button>
      </div>
    </section>
  );
}

/** A short name for a browser's user agent ("Chrome on Linux"), or the raw text. */
export function describeAgent(agent: string | null): string {
  if (!agent) return "Unknown client";
  const browser =
    ["Edg", "Firefox", "Chrome", "Safari"].find((name) => agent.includes(`${name}/`)) ?? null;
  const system = ["Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"].find((name) =>
    agent.includes(name),
  );
  if (!browser) return agent.slice(0, 60);
  const name = browser === "Edg" ? "Edge" : browser;
  return system ? `${name} on ${system === "Mac OS" ? "macOS" : system}` : name;
}
