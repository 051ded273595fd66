import { Placeholder } from "../components/Placeholder";

export function NotificationsPage() {
  return <Placeholder title="Notifications" />;
}
