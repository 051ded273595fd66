import { useCallback } from "react";
import { useNavigate } from "react-router-dom";

import type { Notification } from "./cache";
import { useNotifications } from "./context";

export type ActionTarget = { internal: string } | { external: string } | null;

/** Where an action_url leads: a route of this app, an http(s) page elsewhere, or nowhere
 *  (unsafe). */
export function actionTarget(url: string | null): ActionTarget {
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.href);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
    if (parsed.origin === window.location.origin)
      return { internal: parsed.pathname + parsed.search + parsed.hash };
    return { external: parsed.href };
  } catch {
    return null;
  }
}

/** Opens a notification: its action (in the app, or a new tab), else the notification center;
 *  marks it read. */
export function useOpenNotification(): (n: Notification) => void {
  const navigate = useNavigate();
  const { markRead } = useNotifications();
  return useCallback(
    (n: Notification) => {
      if (!n.read) void markRead([n.id]).catch(() => undefined);
      const target = actionTarget(n.action_url);
      if (target && "external" in target)
        window.open(target.external, "_blank", "noopener,noreferrer");
      else navigate(target ? target.internal : "/notifications");
    },
    [markRead, navigate],
  );
}

/** The colour family of a type (info, success, warning, error). */
export function tone(type: string): string {
  switch (type) {
    case "success":
    case "deployment":
      return "success";
    case "warning":
    case "monitoring":
      return "warning";
    case "error":
    case "security":
      return "error";
    default:
      return "info";
  }
}

export function label(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
