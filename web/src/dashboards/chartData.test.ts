import { describe, expect, it } from "vitest";

import { alignSeries, dailySeries, stack } from "./chartData";
import { withAlpha } from "./Chart";
import { formatBytes, formatDuration, themeColour } from "./format";

describe("chart data", () => {
  it("aligns series on the union of their timestamps", () => {
    const aligned = alignSeries([
      {
        name: "a",
        points: [
          [10, 1],
          [20, 2],
        ],
      },
      {
        name: "b",
        points: [
          [20, 5],
          [30, null],
        ],
      },
    ]);
    expect(aligned).toEqual({
      data: [
        [10, 20, 30],
        [1, 2, null],
        [null, 5, null],
      ],
      names: ["a", "b"],
    });
  });

  it("reads ISO and numeric-string times", () => {
    expect(
      alignSeries([
        {
          name: "a",
          points: [
            ["1970-01-01T00:01:00Z", 1],
            ["120", 2],
          ],
        },
      ]).data[0],
    ).toEqual([60, 120]);
  });

  it("turns daily counts into series and stacks them", () => {
    const series = dailySeries(["1970-01-02"], { info: [2], error: [3] });
    expect(series[0]).toEqual({ name: "info", points: [["1970-01-02T00:00:00Z", 2]] });
    expect(stack(alignSeries(series)).data).toEqual([[86400], [2], [5]]);
  });
});

describe("format", () => {
  it("formats bytes, durations, colours", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatDuration(90061)).toBe("1d 1h");
    expect(formatDuration(59)).toBe("0m 59s");
    expect(themeColour("green")).toBe("var(--success)");
    expect(themeColour("#123456")).toBe("#123456");
    expect(withAlpha("#2563eb", 0.2)).toBe("#2563eb33");
    expect(withAlpha("#abc", 1)).toBe("#aabbccff");
  });
});
