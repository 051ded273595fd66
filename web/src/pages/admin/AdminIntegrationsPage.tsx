import { IntegrationsAdmin } from "../../admin/IntegrationsAdmin";
import { RequirePermission } from "../../components/RequirePermission";

export function AdminIntegrationsPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Integrations">
      <IntegrationsAdmin />
    </RequirePermission>
  );
}
