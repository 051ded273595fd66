// The notification queries' keys, one factory (TanStack Query's pattern): every list (the bell's
// latest, the center's filtered pages) lives under `lists`, the unread count under `unread`, and
// `all` covers both. Other features invalidate through this module only (the one file of a
// feature they may import; see eslint.config.js).

/** What a notification list is filtered by (the center keeps it in the URL). */
export interface ListFilters {
  limit: number;
  type?: string;
  priority?: string;
  unreadOnly?: boolean;
  q?: string;
}

export const notificationKeys = {
  all: ["notifications"] as const,
  unread: ["notifications", "unread"] as const,
  lists: ["notifications", "list"] as const,
  list: (filters: ListFilters) => ["notifications", "list", filters] as const,
};
