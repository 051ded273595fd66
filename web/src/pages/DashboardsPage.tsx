import { Placeholder } from "../components/Placeholder";

export function DashboardsPage() {
  return <Placeholder title="Dashboards" />;
}
