// Notification queries and how live events change their cached data. Every list (the bell's
// latest, the center's filtered pages) is an infinite query under notificationKeys.lists;
// the unread count is its own query.
import {
  useInfiniteQuery,
  useQuery,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../api/client";
import type { LiveNotification } from "../realtime/client";
import { notificationKeys, type ListFilters } from "./keys";

export type Notification = LiveNotification;
export type NotificationPage = Omit<Schemas["NotificationPage"], "items"> & {
  items: Notification[];
};
export type ListData = InfiniteData<NotificationPage, string | null>;

async function fetchPage(
  filters: ListFilters,
  cursor: string | null,
  client?: QueryClient,
): Promise<NotificationPage> {
  const page = (await unwrap(
    api.GET("/api/notifications", {
      params: {
        query: {
          limit: filters.limit,
          cursor: cursor ?? undefined,
          unread_only: filters.unreadOnly || undefined,
          type: (filters.type || undefined) as Schemas["NotificationType"] | undefined,
          priority: (filters.priority || undefined) as Schemas["Priority"] | undefined,
          q: filters.q?.trim() || undefined,
        },
      },
    }),
  )) as NotificationPage;
  client?.setQueryData(notificationKeys.unread, page.unread_count);
  return page;
}

export function useNotificationList(filters: ListFilters, client: QueryClient) {
  return useInfiniteQuery({
    queryKey: notificationKeys.list(filters),
    queryFn: ({ pageParam }) => fetchPage(filters, pageParam, client),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useUnreadCount() {
  return useQuery({
    queryKey: notificationKeys.unread,
    queryFn: async () => (await fetchPage({ limit: 1 }, null)).unread_count,
  });
}

/** The newest notification's id (the resume point after a reset). */
export async function newestId(): Promise<number | null> {
  return (await fetchPage({ limit: 1 }, null)).items[0]?.id ?? null;
}

function filtersOf(key: readonly unknown[]): ListFilters | null {
  const filters = key[2];
  return filters && typeof filters === "object" ? (filters as ListFilters) : null;
}

export function matches(filters: ListFilters, n: Notification): boolean {
  if (filters.type && n.type !== filters.type) return false;
  if (filters.priority && n.priority !== filters.priority) return false;
  if (filters.unreadOnly && n.read) return false;
  const q = filters.q?.trim().toLowerCase();
  if (q && !n.title.toLowerCase().includes(q) && !n.message.toLowerCase().includes(q)) return false;
  return true;
}

function mapLists(
  client: QueryClient,
  update: (data: ListData, filters: ListFilters) => ListData,
): void {
  for (const [key, data] of client.getQueriesData<ListData>({ queryKey: notificationKeys.lists })) {
    const filters = filtersOf(key);
    if (!data || !filters) continue;
    client.setQueryData<ListData>(key, update(data, filters));
  }
}

/** A new notification goes into every loaded list it belongs to, in id order (newest first). */
export function insertNotification(client: QueryClient, n: Notification): void {
  mapLists(client, (data, filters) => {
    if (!matches(filters, n)) return data;
    if (data.pages.some((page) => page.items.some((item) => item.id === n.id))) return data;
    const pages = data.pages.map((page) => ({ ...page, items: [...page.items] }));
    for (const page of pages) {
      const at = page.items.findIndex((item) => item.id < n.id);
      if (at >= 0) {
        page.items.splice(at, 0, n);
        return { ...data, pages };
      }
    }
    const last = pages[pages.length - 1];
    if (!last || last.next_cursor) return data; // older than what is loaded: paging will bring it
    last.items.push(n);
    return { ...data, pages };
  });
}

export function replaceNotification(client: QueryClient, n: Notification): void {
  mapLists(client, (data) => ({
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === n.id ? n : item)),
    })),
  }));
}

/** Removes it everywhere; true when a cached copy was unread. */
export function removeNotification(client: QueryClient, id: number): boolean {
  let wasUnread = false;
  mapLists(client, (data) => ({
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.filter((item) => {
        if (item.id === id && !item.read) wasUnread = true;
        return item.id !== id;
      }),
    })),
  }));
  return wasUnread;
}

/** Sets the read flag (ids null: all); returns how many cached unread ones changed. */
export function setReadState(client: QueryClient, ids: number[] | null, read: boolean): number {
  const wanted = ids ? new Set(ids) : null;
  const changed = new Set<number>();
  const now = new Date().toISOString();
  mapLists(client, (data) => ({
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => {
        if ((wanted && !wanted.has(item.id)) || item.read === read) return item;
        changed.add(item.id);
        return { ...item, read, read_at: read ? now : null };
      }),
    })),
  }));
  return changed.size;
}

export function setUnreadCount(client: QueryClient, count: number): void {
  client.setQueryData(notificationKeys.unread, Math.max(0, count));
}

export function bumpUnreadCount(client: QueryClient, delta: number): void {
  const current = client.getQueryData<number>(notificationKeys.unread);
  if (current !== undefined) setUnreadCount(client, current + delta);
}

export function findCached(client: QueryClient, id: number): Notification | undefined {
  for (const [, data] of client.getQueriesData<ListData>({ queryKey: notificationKeys.lists })) {
    for (const page of data?.pages ?? []) {
      const found = page.items.find((item) => item.id === id);
      if (found) return found;
    }
  }
  return undefined;
}
