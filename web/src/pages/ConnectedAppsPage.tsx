import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import { QueryStatus } from "../components/QueryStatus";
import { CopyBlock } from "../connected/CopyBlock";
import { GotifyApps } from "../connected/GotifyApps";
import { GotifyClients } from "../connected/GotifyClients";
import { NtfyTokens } from "../connected/NtfyTokens";
import { connectedKeys } from "../connected/keys";
import { serverOf } from "../connected/snippets";
import "../profile/profile.css";
import "../connected/connected.css";

/** Tools and phone apps that speak Gotify or ntfy, connected to this account (docs/compat.md). */
export function ConnectedAppsPage() {
  const server = serverOf(window.location.origin);
  const query = useQuery({
    queryKey: connectedKeys.all,
    queryFn: () => unwrap(api.GET("/api/compat/apps")),
  });
  return (
    <section className="page">
      <div className="page-header">
        <h1>Connected apps</h1>
      </div>
      <div className="connected-apps">
        <p className="muted">
          WakeDock answers Gotify&apos;s and ntfy&apos;s APIs at its own address: a tool or phone
          app made for either works by pointing it here. What they send arrives as your
          notifications.
        </p>
        <CopyBlock label="Server URL" text={server.origin} />
        {!query.data ? (
          <QueryStatus
            isPending={query.isPending}
            error={query.error}
            label="your connected apps"
          />
        ) : (
          <>
            <GotifyApps server={server} apps={query.data.gotify_applications} />
            <NtfyTokens server={server} tokens={query.data.ntfy_tokens} />
            <GotifyClients server={server} clients={query.data.gotify_clients} />
          </>
        )}
      </div>
    </section>
  );
}
