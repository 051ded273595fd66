export { useNotifications } from "./context";
export type { NotificationsState } from "./context";
