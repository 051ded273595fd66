// The signed-in user's query keys (TanStack Query's key-factory pattern).

export const authKeys = {
  me: ["me"] as const,
};
