import { RequirePermission } from "../../admin/common";
import { UsersAdmin } from "../../admin/UsersAdmin";

export function AdminUsersPage() {
  return (
    <RequirePermission permission="users:admin" title="Users and roles">
      <UsersAdmin />
    </RequirePermission>
  );
}
