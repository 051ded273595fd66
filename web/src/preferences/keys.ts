// The preferences screen's query keys, one factory (TanStack Query's pattern). Apart from
// notificationKeys on purpose: invalidating every notification query leaves these alone.

export const preferenceKeys = {
  all: ["preferences"] as const,
  notifications: ["preferences", "notifications"] as const,
  subscriptions: ["preferences", "subscriptions"] as const,
  deliverySetup: ["preferences", "delivery-setup"] as const,
};
