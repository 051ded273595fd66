import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { useParams } from "react-router-dom";

import { api, ApiError, errorMessage, unwrap } from "../api/client";
import { dashboardKeys } from "../dashboards/keys";
import { DashboardGrid } from "../dashboards/DashboardGrid";
import { WidgetCard } from "../dashboards/WidgetCard";
import { BellIcon } from "../components/BellIcon";
import "../dashboards/dashboards.css";

/** The public, read-only view of a shared dashboard (no login needed). */
export function SharedDashboardPage() {
  const { token = "" } = useParams();
  const shared = useQuery({
    queryKey: dashboardKeys.shared(token),
    queryFn: () =>
      unwrap(api.GET("/api/dashboards/shared/{token}", { params: { path: { token } } })),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    // Refresh on the quickest source interval among the widgets (paused while the tab is hidden).
    refetchInterval: (query) => {
      const intervals = (query.state.data?.widgets ?? [])
        .map((w) => w.data.refresh_interval)
        .filter((s): s is number => typeof s === "number" && s > 0);
      return intervals.length ? Math.max(5, Math.min(...intervals)) * 1000 : false;
    },
  });
  const gone = shared.error instanceof ApiError && shared.error.status === 404;

  useEffect(() => {
    document.title = shared.data ? `${shared.data.name} · WakeDock` : "Shared dashboard · WakeDock";
  }, [shared.data]);

  return (
    <div className="wd-shared">
      <header className="wd-shared-header">
        <span className="brand">
          <BellIcon /> WakeDock
        </span>
        <span className="muted">Shared dashboard · read-only</span>
      </header>
      <main id="main" className="app-main">
        {shared.isPending && (
          <p aria-busy="true" className="muted">
            Loading dashboard…
          </p>
        )}
        {gone && (
          <section className="page card wd-gone">
            <h1>This link does not work</h1>
            <p>
              The dashboard link was revoked by its owner, replaced by a newer one, or never
              existed.
            </p>
            <p className="muted">Ask the person who sent it for a new link.</p>
          </section>
        )}
        {shared.isError && !gone && (
          <p className="notice error" role="alert">
            Could not load the dashboard: {errorMessage(shared.error)}{" "}
            <button type="button" className="small" onClick={() => void shared.refetch()}>
              Try again
            </button>
          </p>
        )}
        {shared.data && (
          <section aria-labelledby="shared-title">
            <div className="page-header">
              <div>
                <h1 id="shared-title">{shared.data.name}</h1>
                {shared.data.description && (
                  <p className="muted wd-description">{shared.data.description}</p>
                )}
              </div>
            </div>
            {shared.data.widgets.length === 0 ? (
              <p className="card empty">This dashboard has no widgets to show publicly.</p>
            ) : (
              <DashboardGrid
                label={`${shared.data.name} widgets`}
                grid={shared.data.grid}
                widgets={shared.data.widgets}
                renderWidget={(widget) => (
                  <WidgetCard
                    widget={widget}
                    result={widget.data}
                    fetching={shared.isFetching}
                    shared
                  />
                )}
              />
            )}
          </section>
        )}
      </main>
    </div>
  );
}
