import { Placeholder } from "../../components/Placeholder";

export function AdminAuditPage() {
  return <Placeholder title="Audit" />;
}
