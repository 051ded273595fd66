import { Placeholder } from "../../components/Placeholder";

export function AdminUsersPage() {
  return <Placeholder title="Users" />;
}
