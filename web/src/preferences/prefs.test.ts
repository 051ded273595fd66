import { describe, expect, it } from "vitest";

import { sameBody, toBody, toDraft, type Preferences } from "./prefs";

const saved: Preferences = {
  websocket_enabled: true,
  email_enabled: false,
  push_enabled: true,
  quiet_hours_start: null,
  quiet_hours_end: null,
  timezone: "Europe/Paris",
  notification_types: ["info", "error"],
  min_priority: "normal",
  auto_mark_read: false,
  max_notifications: null,
  email_digest: "off",
};

describe("preferences draft", () => {
  it("round-trips and sends quiet hours only when switched on", () => {
    const draft = toDraft(saved);
    expect(draft.quiet_enabled).toBe(false);
    expect(toBody(draft).quiet_hours_start).toBeNull();
    const quiet = {
      ...draft,
      quiet_enabled: true,
      quiet_hours_start: "23:00",
      quiet_hours_end: "06:30",
    };
    expect(toBody(quiet)).toMatchObject({ quiet_hours_start: "23:00", quiet_hours_end: "06:30" });
    expect(sameBody(draft, toDraft(saved))).toBe(true);
    expect(sameBody(draft, quiet)).toBe(false);
  });

  it("sends the retention cap as a number, blank as null, garbage as typed", () => {
    const draft = toDraft(saved);
    expect(toBody({ ...draft, max_notifications: "500" }).max_notifications).toBe(500);
    expect(toBody({ ...draft, max_notifications: " " }).max_notifications).toBeNull();
    expect(toBody({ ...draft, max_notifications: "-3" }).max_notifications).toBe("-3");
  });
});
