import { Placeholder } from "../components/Placeholder";

export function HomePage() {
  return <Placeholder title="Home" />;
}
