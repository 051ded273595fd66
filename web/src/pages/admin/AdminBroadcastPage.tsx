import { BroadcastAdmin } from "../../admin/BroadcastAdmin";
import { RequirePermission } from "../../components/RequirePermission";

export function AdminBroadcastPage() {
  return (
    <RequirePermission permission="notifications:broadcast" title="Broadcast">
      <BroadcastAdmin />
    </RequirePermission>
  );
}
