import { BroadcastAdmin } from "../../admin/BroadcastAdmin";
import { RequirePermission } from "../../admin/common";

export function AdminBroadcastPage() {
  return (
    <RequirePermission permission="notifications:broadcast" title="Broadcast">
      <BroadcastAdmin />
    </RequirePermission>
  );
}
