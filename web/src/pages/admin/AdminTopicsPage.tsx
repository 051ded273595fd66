import { TopicsAdmin } from "../../admin/TopicsAdmin";
import { RequirePermission } from "../../components/RequirePermission";

export function AdminTopicsPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Topics">
      <TopicsAdmin />
    </RequirePermission>
  );
}
