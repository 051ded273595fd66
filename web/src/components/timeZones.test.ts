import { describe, expect, it } from "vitest";

import { timeZones } from "./timeZones";

describe("timeZones", () => {
  it("lists time zones including UTC", () => {
    const zones = timeZones();
    expect(zones).toContain("UTC");
    expect(zones).toEqual([...zones].sort());
  });
});
