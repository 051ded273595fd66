import type { ReactNode } from "react";

/** Owns the live notification connection for the signed-in user (filled in by the realtime work). */
export function NotificationsRoot({ children }: { children: ReactNode }) {
  return <>{children}</>;
}
