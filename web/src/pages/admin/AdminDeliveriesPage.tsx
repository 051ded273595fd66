import { Placeholder } from "../../components/Placeholder";

export function AdminDeliveriesPage() {
  return <Placeholder title="Deliveries" />;
}
