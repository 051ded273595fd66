import { Link, useParams, useSearchParams } from "react-router-dom";

import { ApiError, errorMessage } from "../api/client";
import { useLayout } from "../dashboards/api";
import { DashboardScreen } from "../dashboards/DashboardScreen";

export function DashboardPage() {
  const { id } = useParams();
  const [search] = useSearchParams();
  const layoutId = Number(id);
  const layout = useLayout(layoutId);

  if (
    !Number.isInteger(layoutId) ||
    (layout.error instanceof ApiError && layout.error.status === 404)
  ) {
    return (
      <section className="page">
        <h1>Dashboard not found</h1>
        <p>
          This dashboard does not exist or is not yours.{" "}
          <Link to="/dashboards">Back to your dashboards</Link>.
        </p>
      </section>
    );
  }
  if (layout.isPending) {
    return (
      <section className="page" aria-busy="true">
        <p className="muted">Loading dashboard…</p>
      </section>
    );
  }
  if (layout.isError) {
    return (
      <section className="page">
        <p className="notice error" role="alert">
          Could not load the dashboard: {errorMessage(layout.error)}{" "}
          <button type="button" className="small" onClick={() => void layout.refetch()}>
            Try again
          </button>
        </p>
      </section>
    );
  }
  return (
    <div className="wd-page">
      <nav aria-label="Breadcrumb" className="wd-breadcrumb">
        <Link to="/dashboards">Dashboards</Link> <span aria-hidden="true">/</span>
      </nav>
      <DashboardScreen
        key={layout.data.id}
        layout={layout.data}
        initiallyEditing={search.get("edit") === "1"}
      />
    </div>
  );
}
