import { RequirePermission } from "../../components/RequirePermission";
import { UsersAdmin } from "../../admin/UsersAdmin";

export function AdminUsersPage() {
  return (
    <RequirePermission permission="users:admin" title="Users and roles">
      <UsersAdmin />
    </RequirePermission>
  );
}
