import { Placeholder } from "../components/Placeholder";

export function DemoPage() {
  return <Placeholder title="Demo" />;
}
