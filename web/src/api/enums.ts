// The API's enumerations as lists the UI can show, typed by the generated schema (schema.d.ts).
// `everyMember<U>()(list)` compiles only when `list` names every member of the union `U` once and
// nothing else, so a value added to the API fails `npm run typecheck` until the UI lists it;
// enums.test.ts also checks each list against web/openapi.json, value for value and in order.
import type { Schemas } from "./client";

type Missing<U, T extends readonly unknown[]> = Exclude<U, T[number]>;
type Duplicated<T extends readonly unknown[]> = T extends readonly [infer Head, ...infer Tail]
  ? Head extends Tail[number]
    ? Head
    : Duplicated<Tail>
  : never;

/** The members of `U` as a typed tuple: a missing or repeated member is a type error. */
export function everyMember<U extends string>() {
  return <const T extends readonly U[]>(
    values: T &
      ([Missing<U, T>] extends [never] ? unknown : { missing: Missing<U, T> }) &
      ([Duplicated<T>] extends [never] ? unknown : { repeated: Duplicated<T> }),
  ): T => values;
}

export type NotificationType = Schemas["NotificationType"];
export type Priority = Schemas["Priority"];
export type Role = Schemas["Role"];
export type DeliveryStatus = Schemas["DeliveryStatus"];
export type DeliveryChannel = Schemas["DeliveryChannel"];

export const NOTIFICATION_TYPES = everyMember<NotificationType>()([
  "info",
  "warning",
  "error",
  "success",
  "system",
  "security",
  "deployment",
  "monitoring",
]);

/** Lowest first, as the server ranks them. */
export const PRIORITIES = everyMember<Priority>()(["low", "normal", "high", "urgent"]);

export const ROLES = everyMember<Role>()(["admin", "operator", "user"]);

/** The dead letters first: what an admin looks at most. */
export const DELIVERY_STATUSES = everyMember<DeliveryStatus>()([
  "dead",
  "retrying",
  "pending",
  "running",
  "succeeded",
  "cancelled",
]);

export const DELIVERY_CHANNELS = everyMember<DeliveryChannel>()([
  "email",
  "webhook",
  "webpush",
  "apprise",
  "websocket",
  "broadcast",
]);
