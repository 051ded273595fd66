import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router-dom";

import { api, ApiError, errorMessage, unwrap } from "../api/client";
import { useAuth } from "../auth/AuthProvider";
import { useLayouts, type Layout } from "../dashboards/api";
import { dashboardKeys } from "../dashboards/keys";
import { DashboardScreen } from "../dashboards/DashboardScreen";
import { NewDashboard } from "../dashboards/NewDashboard";
import "../dashboards/dashboards.css";

export function HomePage() {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  // The list says whether there is a default (is_default): /api/dashboards/default is asked
  // only then, so a user without one sees no 404 in the console.
  const layouts = useLayouts();
  const defaultId = layouts.data?.find((layout) => layout.is_default)?.id ?? null;
  const current = useQuery({
    queryKey: dashboardKeys.default,
    enabled: defaultId !== null,
    queryFn: () => unwrap(api.GET("/api/dashboards/default")),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
  const noDefault =
    (layouts.isSuccess && defaultId === null) ||
    (current.error instanceof ApiError && current.error.status === 404);
  const makeDefault = useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST("/api/dashboards/{layout_id}/default", { params: { path: { layout_id: id } } }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: dashboardKeys.all }),
  });

  if (layouts.isPending || (defaultId !== null && current.isPending)) {
    return (
      <section className="page" aria-busy="true">
        <p className="muted">Loading your dashboard…</p>
      </section>
    );
  }
  if (current.data) {
    return (
      <div className="wd-page">
        <DashboardScreen key={current.data.id} layout={current.data} editable={false} />
      </div>
    );
  }
  if (!noDefault) {
    const failed = current.error ?? layouts.error;
    return (
      <section className="page">
        <p className="notice error" role="alert">
          Could not load your dashboard: {errorMessage(failed)}{" "}
          <button
            type="button"
            className="small"
            onClick={() => void (current.error ? current.refetch() : layouts.refetch())}
          >
            Try again
          </button>
        </p>
      </section>
    );
  }

  async function created(layout: Layout, blank: boolean) {
    await makeDefault.mutateAsync(layout.id);
    if (blank) navigate(`/dashboards/${layout.id}?edit=1`);
  }

  const existing = layouts.data ?? [];
  return (
    <section className="page wd-welcome" aria-labelledby="welcome-title">
      <h1 id="welcome-title">Welcome{me ? `, ${me.username}` : ""}</h1>
      {existing.length > 0 ? (
        <div className="card">
          <h2>Pick a dashboard for your home page</h2>
          <ul className="wd-pick" role="list">
            {existing.map((layout) => (
              <li key={layout.id}>
                <Link to={`/dashboards/${layout.id}`}>{layout.name}</Link>{" "}
                <small className="muted">{layout.widget_count} widgets</small>{" "}
                <button
                  type="button"
                  className="small"
                  onClick={() => makeDefault.mutate(layout.id)}
                  disabled={makeDefault.isPending}
                >
                  Show on home page
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="wd-lead">
          Your home page shows your default dashboard: live widgets for your notifications, this
          server’s health and the data sources your team connected. Create one to get started.
        </p>
      )}
      {makeDefault.isError && (
        <p className="notice error" role="alert">
          {errorMessage(makeDefault.error)}
        </p>
      )}
      <div className="card">
        <h2>{existing.length > 0 ? "Or create a new one" : "Create your first dashboard"}</h2>
        <NewDashboard onCreated={(layout, blank) => void created(layout, blank)} />
      </div>
    </section>
  );
}
