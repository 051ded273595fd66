// The admin consoles' query keys, one factory (TanStack Query's pattern). A list's key is the
// prefix its mutations invalidate; a derived query (a preview, a timeline, an audience count) has
// a key of its own beside it, so saving a row does not refetch it.

export const adminKeys = {
  all: ["admin"] as const,
  users: ["admin", "users"] as const,
  broadcasts: ["admin", "broadcasts"] as const,
  audience: (target: unknown) => ["admin", "broadcast-audience", target] as const,
  /** The template list: the templates console and the broadcast composer's picker share it. */
  templates: ["admin", "templates"] as const,
  templatePreview: (draft: unknown, variables: unknown) =>
    ["admin", "template-preview", draft, variables] as const,
  channels: ["admin", "channels"] as const,
  deliveries: ["admin", "deliveries"] as const,
  deliveryList: (status: string, channelType: string) =>
    ["admin", "deliveries", status, channelType] as const,
  deliveryTimeline: (notificationId: number) =>
    ["admin", "delivery-timeline", notificationId] as const,
  integrations: ["admin", "integrations"] as const,
  topicAccess: ["admin", "topic-access"] as const,
  integrationDeliveries: (integrationId: number) =>
    ["admin", "integrations", integrationId, "deliveries"] as const,
  audit: (filters: object) => ["admin", "audit", filters] as const,
};
