import { Placeholder } from "../components/Placeholder";

export function PreferencesPage() {
  return <Placeholder title="Preferences" />;
}
