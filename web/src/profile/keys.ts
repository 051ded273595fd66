// The Profile page's query keys (TanStack Query's key-factory pattern).

export const profileKeys = {
  sessions: ["profile", "sessions"] as const,
  tokens: ["profile", "api-tokens"] as const,
};
