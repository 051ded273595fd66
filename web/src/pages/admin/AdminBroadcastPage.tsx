import { Placeholder } from "../../components/Placeholder";

export function AdminBroadcastPage() {
  return <Placeholder title="Broadcast" />;
}
