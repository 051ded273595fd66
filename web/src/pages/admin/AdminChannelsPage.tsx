import { ChannelsAdmin } from "../../admin/ChannelsAdmin";
import { RequirePermission } from "../../admin/common";

export function AdminChannelsPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Channels">
      <ChannelsAdmin />
    </RequirePermission>
  );
}
