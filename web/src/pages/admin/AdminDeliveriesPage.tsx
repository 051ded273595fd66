import { RequirePermission } from "../../components/RequirePermission";
import { DeliveriesAdmin } from "../../admin/DeliveriesAdmin";

export function AdminDeliveriesPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Deliveries">
      <DeliveriesAdmin />
    </RequirePermission>
  );
}
