// The dashboard queries' keys, one factory (TanStack Query's pattern): everything under `all`,
// widget data under `allData` so a refresh reaches every widget at once.

export const dashboardKeys = {
  all: ["dashboards"] as const,
  list: ["dashboards", "list"] as const,
  layout: (id: number) => ["dashboards", "layout", id] as const,
  default: ["dashboards", "default"] as const,
  types: ["dashboards", "widget-types"] as const,
  preferences: ["dashboards", "preferences"] as const,
  templates: ["dashboards", "templates"] as const,
  sources: ["dashboards", "data-sources"] as const,
  data: (widgetId: number) => ["dashboards", "widget-data", widgetId] as const,
  allData: ["dashboards", "widget-data"] as const,
  shared: (token: string) => ["dashboards", "shared", token] as const,
};
