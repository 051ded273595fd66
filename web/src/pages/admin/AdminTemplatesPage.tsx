import { RequirePermission } from "../../admin/common";
import { TemplatesAdmin } from "../../admin/TemplatesAdmin";

export function AdminTemplatesPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Templates">
      <TemplatesAdmin />
    </RequirePermission>
  );
}
