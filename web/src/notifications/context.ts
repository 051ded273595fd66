import { createContext, useContext } from "react";

import type { ClientEvent, ConnectionStatus } from "../realtime/client";

export type LiveListener = (event: ClientEvent) => void;

export interface NotificationsState {
  /** The live connection: connecting, open, reconnecting, offline or stopped. */
  status: ConnectionStatus;
  /** Why the connection stopped for good (forbidden, unauthorized, logged_out), else null. */
  stopReason: string | null;
  /** Unread notifications (null until known). */
  unreadCount: number | null;
  /** Every live event as it arrives (returns unsubscribe). */
  subscribe(listener: LiveListener): () => void;
  /** Over the socket when open, REST otherwise; the cache updates at once. */
  markRead(ids: number[]): Promise<void>;
  markUnread(id: number): Promise<void>;
  markAllRead(): Promise<void>;
  remove(id: number): Promise<void>;
  /** Retry now instead of waiting for the backoff. */
  reconnect(): void;
}

export const NotificationsContext = createContext<NotificationsState | null>(null);

/** The signed-in user's live notifications (inside NotificationsRoot). */
export function useNotifications(): NotificationsState {
  const state = useContext(NotificationsContext);
  if (!state) throw new Error("useNotifications outside NotificationsRoot");
  return state;
}

const STATUS_TEXT: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline: waiting for the network",
  stopped: "Live updates stopped",
};

export function statusText(status: ConnectionStatus): string {
  return STATUS_TEXT[status];
}
