// The Connected apps page's query keys (TanStack Query's key-factory pattern).

export const connectedKeys = {
  all: ["connected-apps"] as const,
};
