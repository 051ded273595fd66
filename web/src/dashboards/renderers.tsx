// One renderer per widget type the API offers. Each takes the widget's `data` (status "ok") and
// shows an empty state when there is nothing to show; loading and error states are the frame's.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { api, errorMessage, unwrap } from "../api/client";
import { notificationKeys } from "../notifications/keys";
import { dashboardKeys } from "./keys";
import { alignSeries, dailySeries, stack, type NamedSeries } from "./chartData";
import { Chart, formatNumber, type ChartKind } from "./Chart";
import { formatBytes, formatDuration, formatValue, relativeTime, themeColour } from "./format";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Data = any;
type Config = Record<string, any>;

export interface RenderProps {
  widgetId: number;
  title: string;
  config: Config;
  data: Data;
  /** Shared (public, read-only) view: no actions, no links into the app. */
  shared?: boolean;
}

function Empty({ children }: { children: React.ReactNode }) {
  return <p className="wd-empty">{children}</p>;
}

function priorityClass(priority: string): string {
  return { urgent: "urgent", high: "warning", normal: "info", low: "" }[priority] ?? "";
}

function NotificationFeed({ data }: RenderProps) {
  const items: Data[] = data?.items ?? [];
  if (items.length === 0) return <Empty>No notifications.</Empty>;
  return (
    <>
      <ul className="wd-feed">
        {items.map((item) => (
          <li key={item.id} className={item.read ? "read" : "unread"}>
            <span className={`badge ${priorityClass(item.priority)}`}>{item.priority}</span>
            <span className="wd-feed-title">
              {!item.read && <span className="visually-hidden">Unread: </span>}
              {item.title}
            </span>
            <time dateTime={item.created_at} className="muted">
              {relativeTime(item.created_at)}
            </time>
          </li>
        ))}
      </ul>
      <p className="wd-foot muted">
        {data.unread_count} unread
        {data.more && (
          <>
            {" · "}
            <Link to="/notifications">see all</Link>
          </>
        )}
      </p>
    </>
  );
}

function Breakdown({
  counts,
  label,
}: {
  counts: Record<string, number> | undefined;
  label: string;
}) {
  const entries = Object.entries(counts ?? {}).filter(([, count]) => count > 0);
  if (entries.length === 0) return null;
  return (
    <ul className="wd-breakdown" aria-label={label}>
      {entries.map(([key, count]) => (
        <li key={key} className={`badge ${priorityClass(key)}`}>
          {key} {count}
        </li>
      ))}
    </ul>
  );
}

function UnreadCounter({ data }: RenderProps) {
  return (
    <div className="wd-stat">
      <div className="wd-stat-value" data-testid="stat-value">
        {formatValue(data?.unread ?? 0)}
      </div>
      <div className="muted">unread of {formatValue(data?.total ?? 0)}</div>
      <Breakdown counts={data?.by_priority} label="Unread by priority" />
    </div>
  );
}

function NotificationStats({ data, title }: RenderProps) {
  const aligned = useMemo(() => {
    // Groups with no notifications in the period only clutter the legend.
    const groups = Object.fromEntries(
      Object.entries((data?.series ?? {}) as Record<string, number[]>).filter(([, counts]) =>
        counts.some((c) => c > 0),
      ),
    );
    const a = alignSeries(dailySeries(data?.days ?? [], groups));
    return data?.chart === "stacked" ? stack(a) : a;
  }, [data]);
  if (!data || (data.total ?? 0) === 0 || aligned.names.length === 0)
    return <Empty>No notifications in the last {data?.days?.length ?? 0} days.</Empty>;
  return (
    <div className="wd-chart-box">
      <Chart
        aligned={aligned}
        kind={data.chart as ChartKind}
        label={`${title}: ${data.total} notifications`}
      />
    </div>
  );
}

function Meter({
  label,
  percent,
  detail,
}: {
  label: string;
  percent: number | null | undefined;
  detail?: string;
}) {
  const value = typeof percent === "number" ? percent : 0;
  const level = value >= 90 ? "error" : value >= 75 ? "warning" : "ok";
  return (
    <div className="wd-meter">
      <div className="wd-meter-head">
        <span>{label}</span>
        <strong>{typeof percent === "number" ? `${percent.toFixed(1)} %` : "–"}</strong>
      </div>
      <div
        className={`wd-meter-bar ${level}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
      >
        <span style={{ width: `${Math.min(100, Math.max(0, value))}%` }} />
      </div>
      {detail && <small>{detail}</small>}
    </div>
  );
}

function SystemMetrics({ data }: RenderProps) {
  if (!data || Object.keys(data).length === 0) return <Empty>No metrics selected.</Empty>;
  return (
    <div className="wd-system">
      {data.cpu && (
        <Meter label="CPU" percent={data.cpu.percent} detail={`${data.cpu.count} cores`} />
      )}
      {data.cpu?.per_cpu && (
        <div className="wd-cores" aria-label="Per core">
          {(data.cpu.per_cpu as number[]).map((p, index) => (
            <Meter key={index} label={`Core ${index}`} percent={p} />
          ))}
        </div>
      )}
      {data.memory && (
        <Meter
          label="Memory"
          percent={data.memory.percent}
          detail={`${formatBytes(data.memory.used)} of ${formatBytes(data.memory.total)}`}
        />
      )}
      {(data.disk as Data[] | undefined)?.map((disk) =>
        disk.error ? (
          <p key={disk.path} className="field-error">
            Disk {disk.path}: {disk.error}
          </p>
        ) : (
          <Meter
            key={disk.path}
            label={`Disk ${disk.path}`}
            percent={disk.percent}
            detail={`${formatBytes(disk.free)} free of ${formatBytes(disk.total)}`}
          />
        ),
      )}
      {data.network && (
        // In and out share one line when the widget is wide enough: the built-in Host widget
        // (4 metrics) then fits 3 rows, the height dashboards made from the old template have.
        <dl className="wd-net">
          <div>
            <dt>Network in</dt>
            <dd>
              {data.network.recv_per_second == null
                ? "–"
                : `${formatBytes(data.network.recv_per_second)}/s`}
            </dd>
          </div>
          <div>
            <dt>Network out</dt>
            <dd>
              {data.network.sent_per_second == null
                ? "–"
                : `${formatBytes(data.network.sent_per_second)}/s`}
            </dd>
          </div>
        </dl>
      )}
      {data.load && (
        <dl className="wd-pairs">
          <dt>Load</dt>
          <dd>
            {formatNumber(data.load["1m"])} · {formatNumber(data.load["5m"])} ·{" "}
            {formatNumber(data.load["15m"])}
          </dd>
        </dl>
      )}
      {data.uptime_seconds != null && (
        <dl className="wd-pairs">
          <dt>Uptime</dt>
          <dd>{formatDuration(data.uptime_seconds)}</dd>
        </dl>
      )}
    </div>
  );
}

function SingleStat({ data }: RenderProps) {
  if (data?.value === null || data?.value === undefined) return <Empty>No value.</Empty>;
  return (
    <div className="wd-stat">
      <div
        className="wd-stat-value"
        data-testid="stat-value"
        style={{ color: themeColour(data.color) }}
      >
        {formatValue(data.value)}
        {data.unit && <span className="wd-unit">{data.unit}</span>}
      </div>
    </div>
  );
}

function SeriesChart({
  series,
  kind,
  unit,
  title,
}: {
  series: NamedSeries[];
  kind: ChartKind;
  unit?: string;
  title: string;
}) {
  const aligned = useMemo(() => alignSeries(series), [series]);
  if (aligned.data[0].length === 0) return <Empty>No data points.</Empty>;
  const numericX = series.every((s) => s.points.every(([t]) => typeof t === "number"));
  return (
    <div className="wd-chart-box">
      <Chart
        aligned={aligned}
        kind={kind}
        unit={unit}
        label={`${title} chart`}
        time={numericX ? aligned.data[0][0]! > 1e8 : true}
      />
    </div>
  );
}

function MetricChart({ data, title }: RenderProps) {
  const series: NamedSeries[] = data?.series ?? [];
  if (series.length === 0) return <Empty>The query returned no series.</Empty>;
  return (
    <SeriesChart
      series={series}
      kind={(data.chart ?? "line") as ChartKind}
      unit={data.unit}
      title={title}
    />
  );
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ");
}

function PrometheusQuery({ data, title }: RenderProps) {
  const series: Data[] = data?.series ?? [];
  if (series.length === 0) return <Empty>The query returned no series.</Empty>;
  if (data.mode === "range" || data.display === "graph") {
    const withPoints = series.filter((s) => Array.isArray(s.points));
    if (withPoints.length > 0) return <SeriesChart series={withPoints} kind="line" title={title} />;
  }
  if (data.display === "stat") {
    const first = series[0];
    const value = first.value ?? first.points?.at(-1)?.[1];
    return (
      <div className="wd-stat">
        <div className="wd-stat-value" data-testid="stat-value">
          {formatValue(value)}
        </div>
        <div className="muted">{first.name}</div>
      </div>
    );
  }
  return (
    <div className="wd-scroll">
      <table className="wd-table">
        <thead>
          <tr>
            <th scope="col">Series</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {series.map((s, index) => (
            <tr key={index}>
              <td title={labelText(s.labels ?? {})}>
                {s.name || labelText(s.labels ?? {}) || "value"}
              </td>
              <td>{formatValue(s.value ?? s.points?.at(-1)?.[1])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HttpJson({ data }: RenderProps) {
  const fields: Data[] | undefined = data?.fields;
  const hasValue = data && "value" in data;
  if (!hasValue && (!fields || fields.length === 0)) return <Empty>Nothing selected.</Empty>;
  return (
    <div className="wd-json">
      {hasValue &&
        (Array.isArray(data.value) || (data.value && typeof data.value === "object") ? (
          <pre className="wd-pre">{JSON.stringify(data.value, null, 2)}</pre>
        ) : (
          <div className="wd-stat-value" data-testid="stat-value">
            {formatValue(data.value)}
          </div>
        ))}
      {fields && fields.length > 0 && (
        <dl className="wd-pairs">
          {fields.map((field, index) => (
            <div key={index} className="wd-pair">
              <dt>{field.label}</dt>
              <dd>
                {formatValue(field.value)}
                {field.unit ? ` ${field.unit}` : ""}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

function Text({ data }: RenderProps) {
  if (!data?.html) return <Empty>No text yet.</Empty>;
  // The server renders the markdown and sanitises the HTML (nh3 allow-list).
  return <div className="wd-markdown" dangerouslySetInnerHTML={{ __html: data.html }} />;
}

function QuickActions({ data, widgetId, shared }: RenderProps) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const run = useMutation({
    mutationFn: (index: number) =>
      unwrap(
        api.POST("/api/dashboards/widgets/{widget_id}/actions/{index}", {
          params: { path: { widget_id: widgetId, index } },
        }),
      ),
    onSuccess: (result, index) => {
      const label = actions.find((a) => a.index === index)?.label ?? result.action;
      setMessage({ text: `${label}: done`, error: false });
      void queryClient.invalidateQueries({ queryKey: dashboardKeys.allData });
      void queryClient.invalidateQueries({ queryKey: notificationKeys.all });
    },
    onError: (error) => setMessage({ text: errorMessage(error), error: true }),
  });
  const actions: Data[] = data?.actions ?? [];
  if (actions.length === 0) return <Empty>No actions configured.</Empty>;

  function perform(action: Data) {
    setMessage(null);
    if (action.runs_on === "server") run.mutate(action.index);
    else if (action.action === "refresh_dashboard") {
      void queryClient.invalidateQueries({ queryKey: dashboardKeys.allData });
      setMessage({ text: "Refreshed", error: false });
    } else if (action.action === "open_url" && action.url) {
      if (String(action.url).startsWith("/")) navigate(action.url);
      else window.open(action.url, "_blank", "noopener,noreferrer");
    }
  }

  return (
    <div className="wd-actions">
      <div className="wd-action-buttons">
        {actions.map((action) => (
          <button
            key={action.index}
            type="button"
            className={
              action.style === "primary" ? "primary" : action.style === "danger" ? "danger" : ""
            }
            disabled={shared || (run.isPending && run.variables === action.index)}
            onClick={() => perform(action)}
          >
            {action.label}
          </button>
        ))}
      </div>
      <p className={message?.error ? "field-error" : "muted"} role="status" aria-live="polite">
        {message?.text ?? ""}
      </p>
    </div>
  );
}

export const RENDERERS: Record<string, (props: RenderProps) => React.ReactNode> = {
  notification_feed: NotificationFeed,
  unread_counter: UnreadCounter,
  notification_stats: NotificationStats,
  system_metrics: SystemMetrics,
  single_stat: SingleStat,
  metric_chart: MetricChart,
  prometheus_query: PrometheusQuery,
  http_json: HttpJson,
  text: Text,
  quick_actions: QuickActions,
};

export function RenderWidget(props: RenderProps & { type: string }) {
  const Renderer = RENDERERS[props.type];
  if (!Renderer) return <Empty>This widget type ({props.type}) cannot be shown here.</Empty>;
  return <Renderer {...props} />;
}
