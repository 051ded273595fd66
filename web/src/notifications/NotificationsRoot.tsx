import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";

import { api, unwrap } from "../api/client";
import { currentAccessToken, onSessionChange, refreshSession } from "../api/session";
import { useAuth } from "../auth/AuthProvider";
import { Toasts } from "./Toasts";
import {
  createNotificationClient,
  type ClientEvent,
  type ConnectionStatus,
  type NotificationClient,
} from "../realtime/client";
import {
  bumpUnreadCount,
  findCached,
  insertNotification,
  newestId,
  removeNotification,
  replaceNotification,
  setReadState,
  setUnreadCount,
  useUnreadCount,
} from "./cache";
import { notificationKeys } from "./keys";
import { NotificationsContext, type LiveListener, type NotificationsState } from "./context";
import "./notifications.css";

/**
 * Owns the live notification connection for the signed-in user: one WebSocket per tab, closed
 * on logout or unmount. Live events keep the TanStack Query cache (unread count, every loaded
 * list) in sync and are passed on to subscribers (the toasts).
 */
export function NotificationsRoot({ children }: { children: ReactNode }) {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [stopReason, setStopReason] = useState<string | null>(null);
  const client = useRef<NotificationClient | null>(null);
  const listeners = useRef(new Set<LiveListener>());
  const unread = useUnreadCount();
  const userId = me?.id;
  // Bumped to start a new connection after one stopped (e.g. the session came back in another tab).
  const [restarts, setRestarts] = useState(0);

  useEffect(
    () =>
      onSessionChange((session) => {
        if (session && client.current?.status === "stopped") setRestarts((n) => n + 1);
      }),
    [],
  );

  useEffect(() => {
    if (userId === undefined) return;
    let recount: ReturnType<typeof setTimeout> | undefined;
    // The server does not send a count with new notifications: refetch it once a burst settles.
    const recountSoon = () => {
      clearTimeout(recount);
      recount = setTimeout(
        () => void queryClient.invalidateQueries({ queryKey: notificationKeys.unread }),
        600,
      );
    };
    const handle = (event: ClientEvent) => {
      switch (event.type) {
        case "status":
          setStatus(event.status);
          break;
        case "stopped":
          setStopReason(event.reason);
          break;
        case "hello":
          setStopReason(null);
          setUnreadCount(queryClient, event.hello.unread_count);
          // Nothing to resume from: whatever happened before this socket comes from REST.
          if (!event.resumed)
            void queryClient.invalidateQueries({ queryKey: notificationKeys.lists });
          break;
        case "notification":
          insertNotification(queryClient, event.notification);
          // A replay is already counted in hello's unread_count.
          if (!event.replay && !event.notification.read) {
            bumpUnreadCount(queryClient, 1);
            recountSoon();
          }
          break;
        case "updated":
          replaceNotification(queryClient, event.notification);
          break;
        case "deleted":
          if (removeNotification(queryClient, event.id)) bumpUnreadCount(queryClient, -1);
          recountSoon();
          break;
        case "read":
        case "unread":
          setReadState(queryClient, event.ids, event.type === "read");
          setUnreadCount(queryClient, event.unreadCount);
          break;
        case "reset":
          // `since` is beyond retention: reload over REST and resume from the newest id.
          void queryClient.invalidateQueries({ queryKey: notificationKeys.all });
          void newestId()
            .then((id) => id !== null && client.current?.advance(id))
            .catch(() => undefined);
          break;
        case "error":
          console.warn(`notifications socket: ${event.code}: ${event.message}`);
          break;
      }
      listeners.current.forEach((listener) => listener(event));
    };
    const live = createNotificationClient({
      userId,
      getToken: currentAccessToken,
      refreshToken: async (stale) => (await refreshSession(stale))?.accessToken ?? null,
      onEvent: handle,
    });
    client.current = live;
    live.start();
    return () => {
      clearTimeout(recount);
      live.close();
      if (client.current === live) client.current = null;
    };
  }, [userId, queryClient, restarts]);

  const subscribe = useCallback((listener: LiveListener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);

  const restore = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: notificationKeys.all });
  }, [queryClient]);

  const markRead = useCallback(
    async (ids: number[]) => {
      if (ids.length === 0) return;
      bumpUnreadCount(queryClient, -setReadState(queryClient, ids, true));
      if (client.current?.markRead(ids)) return;
      try {
        await Promise.all(
          ids.map((id) =>
            unwrap(
              api.POST("/api/notifications/{notification_id}/read", {
                params: { path: { notification_id: id } },
              }),
            ),
          ),
        );
      } catch (error) {
        restore();
        throw error;
      }
    },
    [queryClient, restore],
  );

  const markUnread = useCallback(
    async (id: number) => {
      bumpUnreadCount(queryClient, setReadState(queryClient, [id], false));
      try {
        await unwrap(
          api.POST("/api/notifications/{notification_id}/unread", {
            params: { path: { notification_id: id } },
          }),
        );
      } catch (error) {
        restore();
        throw error;
      }
    },
    [queryClient, restore],
  );

  const markAllRead = useCallback(async () => {
    setReadState(queryClient, null, true);
    setUnreadCount(queryClient, 0);
    if (client.current?.markAllRead()) return;
    try {
      await unwrap(api.POST("/api/notifications/read-all", { body: {} }));
    } catch (error) {
      restore();
      throw error;
    }
  }, [queryClient, restore]);

  const remove = useCallback(
    async (id: number) => {
      const wasUnread = !findCached(queryClient, id)?.read;
      await unwrap(
        api.DELETE("/api/notifications/{notification_id}", {
          params: { path: { notification_id: id } },
        }),
      );
      if (removeNotification(queryClient, id) && wasUnread) bumpUnreadCount(queryClient, -1);
    },
    [queryClient],
  );

  const value = useMemo<NotificationsState>(
    () => ({
      status,
      stopReason,
      unreadCount: unread.data ?? null,
      subscribe,
      markRead,
      markUnread,
      markAllRead,
      remove,
      reconnect: () => client.current?.wake(),
    }),
    [status, stopReason, unread.data, subscribe, markRead, markUnread, markAllRead, remove],
  );

  return (
    <NotificationsContext.Provider value={value}>
      {children}
      <Toasts />
    </NotificationsContext.Provider>
  );
}
