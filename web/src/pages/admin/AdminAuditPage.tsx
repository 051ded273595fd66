import { AuditAdmin } from "../../admin/AuditAdmin";
import { RequirePermission } from "../../admin/common";

export function AdminAuditPage() {
  return (
    <RequirePermission permission="audit:read" title="Audit log">
      <AuditAdmin />
    </RequirePermission>
  );
}
