// Create, copy and revoke a dashboard's public read-only link. The server shows a token once.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, errorMessage, unwrap } from "../api/client";
import { type Layout } from "./api";
import { dashboardKeys } from "./keys";
import { Dialog } from "../components/Dialog";

export function ShareDialog({ layout, onClose }: { layout: Layout; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: dashboardKeys.layout(layout.id) });
    void queryClient.invalidateQueries({ queryKey: dashboardKeys.list });
  };
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/dashboards/{layout_id}/share", {
          params: { path: { layout_id: layout.id } },
        }),
      ),
    onSuccess: (share) => {
      setUrl(share.url);
      setCopied(null);
      refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/dashboards/{layout_id}/share", {
          params: { path: { layout_id: layout.id } },
        }),
      ),
    onSuccess: () => {
      setUrl(null);
      refresh();
    },
  });
  const error = create.error ?? revoke.error;

  async function copy() {
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
      setCopied("Link copied to the clipboard.");
    } catch {
      // Clipboard refused (insecure origin, permissions): select it so Ctrl+C works.
      const input = document.getElementById("share-url") as HTMLInputElement | null;
      input?.select();
      setCopied("Press Ctrl+C to copy the selected link.");
    }
  }

  const shared = layout.shared || url !== null;
  return (
    <Dialog
      title={`Share “${layout.name}”`}
      onClose={onClose}
      description="Anyone with the link can view this dashboard without signing in. Personal widgets (notifications, quick actions) are left out."
    >
      {url ? (
        <div className="wd-field">
          <label htmlFor="share-url">Share link</label>
          <div className="wd-share-row">
            <input id="share-url" readOnly value={url} onFocus={(e) => e.target.select()} />
            <button type="button" className="primary" onClick={copy} data-autofocus>
              Copy link
            </button>
          </div>
          <small className="muted">Shown once: creating a new link replaces this one.</small>
        </div>
      ) : layout.shared ? (
        <p>
          Shared since {layout.shared_at ? new Date(layout.shared_at).toLocaleString() : "earlier"}.
          The link was shown when it was created; create a new one to see a link again (the old one
          stops working).
        </p>
      ) : (
        <p>This dashboard is not shared.</p>
      )}
      <p role="status" aria-live="polite" className="muted">
        {copied ?? (revoke.isSuccess && !url ? "The link was revoked." : "")}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {errorMessage(error)}
        </p>
      )}
      <div className="form-actions">
        <button
          type="button"
          className={url ? "" : "primary"}
          onClick={() => create.mutate()}
          disabled={create.isPending}
          data-autofocus={url ? undefined : true}
        >
          {create.isPending ? "Creating…" : shared ? "Create a new link" : "Create share link"}
        </button>
        {shared && (
          <button
            type="button"
            className="danger"
            onClick={() => revoke.mutate()}
            disabled={revoke.isPending}
          >
            {revoke.isPending ? "Revoking…" : "Revoke link"}
          </button>
        )}
        <button type="button" className="ghost" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
