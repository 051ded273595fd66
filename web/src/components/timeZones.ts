// The browser's time zones, for the time zone fields (preferences, users).

/** Every IANA zone the browser knows (UTC included), sorted. */
export function timeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return Array.from(new Set(["UTC", ...zones])).sort();
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
