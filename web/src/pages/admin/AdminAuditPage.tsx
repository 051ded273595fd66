import { AuditAdmin } from "../../admin/AuditAdmin";
import { RequirePermission } from "../../components/RequirePermission";

export function AdminAuditPage() {
  return (
    <RequirePermission permission="audit:read" title="Audit log">
      <AuditAdmin />
    </RequirePermission>
  );
}
