import { Placeholder } from "../components/Placeholder";

export function SharedDashboardPage() {
  return <Placeholder title="Shared dashboard" />;
}
