import { describe, expect, it } from "vitest";

import openapiText from "../../openapi.json?raw";
import {
  DELIVERY_CHANNELS,
  DELIVERY_STATUSES,
  everyMember,
  NOTIFICATION_TYPES,
  PRIORITIES,
  ROLES,
} from "./enums";

const openapi = JSON.parse(openapiText) as {
  components: { schemas: Record<string, { enum?: string[] }> };
};

describe("the UI's enum lists", () => {
  it.each([
    ["NotificationType", NOTIFICATION_TYPES],
    ["Priority", PRIORITIES],
    ["Role", ROLES],
  ])("%s lists the API's values in the API's order", (name, values) => {
    expect(values).toEqual(openapi.components.schemas[name].enum);
  });

  it.each([
    ["DeliveryStatus", DELIVERY_STATUSES],
    ["DeliveryChannel", DELIVERY_CHANNELS],
  ])("%s lists every value of the API (in the UI's order)", (name, values) => {
    expect([...values].sort()).toEqual([...(openapi.components.schemas[name].enum ?? [])].sort());
  });

  it("refuses a list with a member missing or repeated (checked by tsc)", () => {
    type Colour = "red" | "green";
    // @ts-expect-error "green" is missing
    everyMember<Colour>()(["red"]);
    // @ts-expect-error "red" is repeated
    everyMember<Colour>()(["red", "green", "red"]);
    // @ts-expect-error "blue" is not a member
    everyMember<Colour>()(["red", "green", "blue"]);
    expect(everyMember<Colour>()(["green", "red"])).toEqual(["green", "red"]);
  });
});
