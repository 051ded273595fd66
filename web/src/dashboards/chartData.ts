// Series from the API → uPlot's aligned columns. Pure: unit-tested.

export interface NamedSeries {
  name: string;
  /** [time (seconds or ISO string), value] pairs. */
  points: [unknown, number | null][];
}

export interface Aligned {
  /** uPlot's data: x values first, then one column per series. */
  data: (number | null)[][];
  names: string[];
}

function toSeconds(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const number = Number(value);
    if (value.trim() !== "" && Number.isFinite(number)) return number;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed / 1000;
  }
  return null;
}

/** Union of every series' x values (sorted), each series with a value or null at each x. */
export function alignSeries(series: NamedSeries[]): Aligned {
  const xs = new Set<number>();
  const maps = series.map((s) => {
    const map = new Map<number, number | null>();
    for (const [t, v] of s.points) {
      const x = toSeconds(t);
      if (x === null) continue;
      xs.add(x);
      map.set(x, typeof v === "number" && Number.isFinite(v) ? v : null);
    }
    return map;
  });
  const x = [...xs].sort((a, b) => a - b);
  return {
    data: [x, ...maps.map((map) => x.map((t) => map.get(t) ?? null))],
    names: series.map((s) => s.name),
  };
}

/** notification_stats' `{days: ["2026-11-20", ...], series: {group: [counts]}}` as series. */
export function dailySeries(days: string[], groups: Record<string, number[]>): NamedSeries[] {
  return Object.entries(groups).map(([name, counts]) => ({
    name,
    points: days.map((day, index) => [`${day}T00:00:00Z`, counts[index] ?? 0] as [string, number]),
  }));
}

/** Running sums across series (series k shows series 0..k added), for stacked charts. */
export function stack(aligned: Aligned): Aligned {
  const [x, ...columns] = aligned.data;
  const sums = x.map(() => 0);
  const stacked = columns.map((column) =>
    column.map((value, index) => {
      sums[index] += value ?? 0;
      return sums[index];
    }),
  );
  return { data: [x, ...stacked], names: aligned.names };
}
