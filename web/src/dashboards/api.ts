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

/** A widget's live data, refreshed on its source's interval (paused while the tab is hidden). */
export function useWidgetData(widgetId: number, enabled = true) {
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
    refetchInterval: (query) => {
      const seconds = query.state.data?.refresh_interval;
      return seconds ? Math.max(seconds, 2) * 1000 : false;
    },
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
