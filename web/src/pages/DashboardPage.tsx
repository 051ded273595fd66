import { Placeholder } from "../components/Placeholder";

export function DashboardPage() {
  return <Placeholder title="Dashboard" />;
}
