// The dashboard preferences a person sees take effect on: theme, auto-refresh of widget data,
// grid lines in the editor, compact mode (tighter rows and gaps). Saved with PUT /preferences.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { api, errorMessage, unwrap } from "../api/client";
import { type DashboardPreferences } from "./api";
import { dashboardKeys } from "./keys";
import { Dialog } from "../components/Dialog";

const REFRESH_CHOICES = [0, 5, 10, 30, 60, 300, 900];

function refreshLabel(seconds: number): string {
  if (seconds === 0) return "Off";
  if (seconds === 60) return "Every minute";
  if (seconds > 60 && seconds % 60 === 0) return `Every ${seconds / 60} minutes`;
  return `Every ${seconds} seconds`;
}

export function DisplayDialog({
  preferences,
  onClose,
}: {
  preferences: DashboardPreferences;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [theme, setTheme] = useState(preferences.theme);
  const [refresh, setRefresh] = useState(preferences.auto_refresh_interval);
  const [showGrid, setShowGrid] = useState(preferences.show_grid);
  const [compact, setCompact] = useState(preferences.compact_mode);
  const choices = REFRESH_CHOICES.includes(refresh)
    ? REFRESH_CHOICES
    : [...REFRESH_CHOICES, refresh];
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/dashboards/preferences", {
          body: {
            theme,
            auto_refresh_interval: refresh,
            show_grid: showGrid,
            compact_mode: compact,
          },
        }),
      ),
    onSuccess: (answer) => {
      queryClient.setQueryData(dashboardKeys.preferences, answer);
      onClose();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <Dialog
      title="Dashboard display"
      onClose={onClose}
      description="Applies to all your dashboards."
    >
      <form onSubmit={submit}>
        <div className="wd-field">
          <label htmlFor="wd-pref-theme">Theme</label>
          <select
            id="wd-pref-theme"
            value={theme}
            onChange={(e) => setTheme(e.target.value as DashboardPreferences["theme"])}
            data-autofocus
          >
            <option value="auto">Same as the app</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </div>
        <div className="wd-field">
          <label htmlFor="wd-pref-refresh">Refresh widget data</label>
          <select
            id="wd-pref-refresh"
            value={refresh}
            onChange={(e) => setRefresh(Number(e.target.value))}
          >
            {choices.map((seconds) => (
              <option key={seconds} value={seconds}>
                {refreshLabel(seconds)}
              </option>
            ))}
          </select>
        </div>
        <div className="wd-field">
          <label>
            <input
              type="checkbox"
              checked={showGrid}
              onChange={(e) => setShowGrid(e.target.checked)}
            />{" "}
            Show the grid while editing
          </label>
        </div>
        <div className="wd-field">
          <label>
            <input
              type="checkbox"
              checked={compact}
              onChange={(e) => setCompact(e.target.checked)}
            />{" "}
            Compact mode (shorter rows, smaller gaps)
          </label>
        </div>
        {save.isError && (
          <p className="form-error" role="alert">
            {errorMessage(save.error)}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
