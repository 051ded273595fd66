import { ChannelsAdmin } from "../../admin/ChannelsAdmin";
import { RequirePermission } from "../../components/RequirePermission";

export function AdminChannelsPage() {
  return (
    <RequirePermission permission="notifications:admin" title="Channels">
      <ChannelsAdmin />
    </RequirePermission>
  );
}
