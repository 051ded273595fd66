// A time-series chart drawn with uPlot, coloured from the theme's CSS variables (re-drawn when
// the theme changes) and sized to its container.
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { Aligned } from "./chartData";

const PALETTE = ["--accent", "--success", "--warning", "--urgent", "--error", "--info", "--muted"];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Changes whenever the page's theme (data-theme or the OS preference) changes. */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme", "class"],
    });
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener("change", bump);
    return () => {
      observer.disconnect();
      media.removeEventListener("change", bump);
    };
  }, []);
  return version;
}

export type ChartKind = "line" | "area" | "bar" | "stacked";

interface Props {
  aligned: Aligned;
  kind?: ChartKind;
  unit?: string;
  /** x values are epoch seconds (true) or plain numbers. */
  time?: boolean;
  label: string;
  showLegend?: boolean;
}

export function Chart({
  aligned,
  kind = "line",
  unit = "",
  time = true,
  label,
  showLegend = true,
}: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useThemeVersion();
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      setSize((old) =>
        old && Math.abs(old.width - width) < 1 && Math.abs(old.height - height) < 1
          ? old
          : { width: Math.floor(width), height: Math.floor(height) },
      );
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const seriesCount = aligned.names.length;
  const names = aligned.names.join("\u0000");
  // Re-create when the shape of the chart changes; only push data otherwise.
  useEffect(() => {
    const element = box.current;
    if (!element || !size || size.width < 20 || size.height < 20) return;
    const text = cssVar("--muted");
    const grid = cssVar("--border");
    const legendHeight = showLegend && seriesCount > 0 ? 28 : 0;
    const bars = kind === "bar" ? uPlot.paths.bars?.({ size: [0.6, 40] }) : undefined;
    const options: uPlot.Options = {
      width: size.width,
      height: Math.max(40, size.height - legendHeight),
      scales: { x: { time } },
      legend: { show: showLegend },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          values: (_u, values) => values.map((v) => `${formatNumber(v)}${unit ? ` ${unit}` : ""}`),
          size: 60,
        },
      ],
      series: [
        {},
        ...aligned.names.map((name, index) => {
          const colour = cssVar(PALETTE[index % PALETTE.length]);
          const filled = kind === "area" || kind === "stacked" || kind === "bar";
          return {
            label: name,
            stroke: colour,
            width: 2,
            fill: filled ? withAlpha(colour, kind === "bar" ? 0.75 : 0.2) : undefined,
            paths: bars,
            points: { show: false },
            value: (_u: uPlot, v: number | null) =>
              v == null ? "–" : `${formatNumber(v)}${unit ? ` ${unit}` : ""}`,
          };
        }),
      ],
    };
    plot.current?.destroy();
    plot.current = new uPlot(options, aligned.data as uPlot.AlignedData, element);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [size, theme, kind, unit, time, seriesCount, names, showLegend]);

  useEffect(() => {
    plot.current?.setData(aligned.data as uPlot.AlignedData);
  }, [aligned]);

  return <div ref={box} className="wd-chart" role="img" aria-label={label} />;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(abs < 1 ? 3 : abs < 100 ? 2 : 1).replace(/\.?0+$/, "");
}

/** "#2563eb" + 0.2 → "#2563eb33" (canvas takes 8-digit hex); other colour syntaxes unchanged. */
export function withAlpha(colour: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour);
  if (!hex) return colour;
  const full = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join("") : hex[1];
  const byte = Math.round(Math.min(1, Math.max(0, alpha)) * 255)
    .toString(16)
    .padStart(2, "0");
  return `#${full}${byte}`;
}
