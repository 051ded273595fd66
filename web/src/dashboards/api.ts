// Data access for dashboards: typed fetchers and the hooks the pages share.
import { useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../api/client";
import { dashboardKeys } from "./keys";

export type Layout = Schemas["LayoutOut"];
export type LayoutSummary = Schemas["LayoutSummary"];
export type Widget = Schemas["WidgetOut"];
export type WidgetType = Schemas["WidgetTypeOut"];
export type WidgetData = Schemas["WidgetData"];
export type Template = Schemas["TemplateSummary"];
export type DataSource = Schemas["DataSourceOut"];
export type SharedLayout = Schemas["SharedLayout"];
export type DashboardPreferences = Schemas["wakedock__dashboards__schemas__PreferencesOut"];

/** The user's dashboard preferences (theme, auto-refresh, grid lines, compact mode). */
export function useDashboardPreferences(enabled = true) {
  return useQuery({
    queryKey: dashboardKeys.preferences,
    queryFn: () => unwrap(api.GET("/api/dashboards/preferences")),
    enabled,
    staleTime: 60_000,
  });
}

/** How often a widget's data is fetched again: the user's auto-refresh interval (0 = never);
 *  until the preferences are known, the widget's own source interval. */
export function refreshMs(
  preferences: DashboardPreferences | undefined,
  sourceSeconds: number | null | undefined,
): number | false {
  const seconds = preferences ? preferences.auto_refresh_interval : sourceSeconds;
  return seconds ? Math.max(seconds, 2) * 1000 : false;
}

/** Row height and gap with the preferences applied: compact mode tightens both. */
export function effectiveGrid(
  grid: { columns: number; row_height: number; gap: number },
  preferences: DashboardPreferences | undefined,
) {
  if (!preferences?.compact_mode) return grid;
  return {
    columns: grid.columns,
    row_height: Math.max(20, Math.round(grid.row_height * 0.75)),
    gap: Math.max(2, Math.floor(grid.gap / 2)),
  };
}

export function useLayouts() {
  return useQuery({
    queryKey: dashboardKeys.list,
    queryFn: () => unwrap(api.GET("/api/dashboards")).then((r) => r.items),
  });
}

export function useLayout(id: number) {
  return useQuery({
    queryKey: dashboardKeys.layout(id),
    queryFn: () =>
      unwrap(api.GET("/api/dashboards/{layout_id}", { params: { path: { layout_id: id } } })),
    enabled: Number.isFinite(id),
  });
}

export function useWidgetTypes() {
  return useQuery({
    queryKey: dashboardKeys.types,
    queryFn: () => unwrap(api.GET("/api/dashboards/widget-types")).then((r) => r.items),
    staleTime: 5 * 60_000,
  });
}

export function useTemplates(enabled = true) {
  return useQuery({
    queryKey: dashboardKeys.templates,
    queryFn: () => unwrap(api.GET("/api/dashboards/templates")).then((r) => r.items),
    enabled,
  });
}

export function useDataSources(enabled = true) {
  return useQuery({
    queryKey: dashboardKeys.sources,
    queryFn: () => unwrap(api.GET("/api/dashboards/data-sources")).then((r) => r.items),
    enabled,
    staleTime: 60_000,
  });
}

/** A widget's live data, refreshed on the user's auto-refresh interval (paused while the tab is
 *  hidden). */
export function useWidgetData(widgetId: number, enabled = true) {
  const preferences = useDashboardPreferences(enabled);
  return useQuery({
    queryKey: dashboardKeys.data(widgetId),
    queryFn: () =>
      unwrap(
        api.GET("/api/dashboards/widgets/{widget_id}/data", {
          params: { path: { widget_id: widgetId } },
        }),
      ),
    enabled,
    staleTime: 0,
    refetchInterval: (query) => refreshMs(preferences.data, query.state.data?.refresh_interval),
    refetchIntervalInBackground: false,
  });
}

/** Forget every cached dashboard list/layout so the next render asks again. */
export function useInvalidateDashboards() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: dashboardKeys.all });
}

export async function createLayout(name: string): Promise<Layout> {
  // The API's documented grid defaults (the generated type lists them as required).
  return unwrap(
    api.POST("/api/dashboards", {
      body: { name, description: "", columns: 12, row_height: 80, gap: 8 },
    }),
  );
}

export async function applyTemplate(templateId: number, name: string): Promise<Layout> {
  return unwrap(
    api.POST("/api/dashboards/templates/{template_id}/apply", {
      params: { path: { template_id: templateId } },
      body: { name },
    }),
  );
}
