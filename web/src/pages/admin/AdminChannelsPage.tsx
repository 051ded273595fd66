import { Placeholder } from "../../components/Placeholder";

export function AdminChannelsPage() {
  return <Placeholder title="Channels" />;
}
