// Pure helpers of the preferences screen (unit-tested in prefs.test.ts).
import type { Schemas } from "../api/client";

export type Preferences = Schemas["wakedock__notifications__preferences__schemas__PreferencesOut"];
export type PreferencesBody = Schemas["PreferencesPatch"];

/** What the form edits: the preferences with quiet hours split into a switch and two times. */
export interface Draft {
  websocket_enabled: boolean;
  email_enabled: boolean;
  push_enabled: boolean;
  quiet_enabled: boolean;
  quiet_hours_start: string;
  quiet_hours_end: string;
  timezone: string;
  notification_types: string[];
  min_priority: string;
  auto_mark_read: boolean;
  max_notifications: string;
  email_digest: string;
}

export function toDraft(prefs: Preferences): Draft {
  return {
    websocket_enabled: prefs.websocket_enabled,
    email_enabled: prefs.email_enabled,
    push_enabled: prefs.push_enabled,
    quiet_enabled: prefs.quiet_hours_start !== null && prefs.quiet_hours_start !== undefined,
    quiet_hours_start: prefs.quiet_hours_start ?? "22:00",
    quiet_hours_end: prefs.quiet_hours_end ?? "07:00",
    timezone: prefs.timezone,
    notification_types: [...prefs.notification_types],
    min_priority: prefs.min_priority,
    auto_mark_read: prefs.auto_mark_read,
    max_notifications: prefs.max_notifications == null ? "" : String(prefs.max_notifications),
    email_digest: prefs.email_digest,
  };
}

/**
 * The PUT body (every field: PUT replaces). A retention cap that is not a whole number is sent as
 * typed, so the server's own message explains what is wrong.
 */
export function toBody(draft: Draft): PreferencesBody {
  const cap = draft.max_notifications.trim();
  const capValue: unknown = cap === "" ? null : /^\d+$/.test(cap) ? Number(cap) : cap;
  return {
    websocket_enabled: draft.websocket_enabled,
    email_enabled: draft.email_enabled,
    push_enabled: draft.push_enabled,
    quiet_hours_start: draft.quiet_enabled ? draft.quiet_hours_start : null,
    quiet_hours_end: draft.quiet_enabled ? draft.quiet_hours_end : null,
    timezone: draft.timezone.trim(),
    notification_types: draft.notification_types as PreferencesBody["notification_types"],
    min_priority: draft.min_priority as PreferencesBody["min_priority"],
    auto_mark_read: draft.auto_mark_read,
    max_notifications: capValue as number | null,
    email_digest: draft.email_digest as PreferencesBody["email_digest"],
  };
}

export function sameBody(a: Draft, b: Draft): boolean {
  return JSON.stringify(toBody(a)) === JSON.stringify(toBody(b));
}
