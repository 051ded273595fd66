import { Placeholder } from "../../components/Placeholder";

export function AdminTemplatesPage() {
  return <Placeholder title="Templates" />;
}
