import { RequirePermission } from "../../components/RequirePermission";
import { TemplatesAdmin } from "../../admin/TemplatesAdmin";

export function AdminTemplatesPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Templates">
      <TemplatesAdmin />
    </RequirePermission>
  );
}
