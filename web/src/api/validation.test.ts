import { describe, expect, it } from "vitest";

import { ApiError, errorMessage } from "./client";
import { fieldLabel, humanMessage } from "./validation";

describe("humanMessage", () => {
  it.each([
    ["Value error, end must be after start", "End must be after start."],
    [
      "Input should be a valid integer, unable to parse string as an integer",
      "Enter a whole number.",
    ],
    ["Input should be greater than or equal to 1", "Enter 1 or more."],
    ["Input should be less than or equal to 720", "Enter 720 or less."],
    ["String should have at least 1 character", "This field is required."],
    ["String should have at most 255 characters", "Use at most 255 characters."],
    ["Input should be 'low', 'normal', 'high' or 'urgent'", "Choose low, normal, high or urgent."],
    ["Field required", "This field is required."],
    [
      "unknown time zone 'Mars/Base' (use an IANA name like Europe/Paris)",
      "Unknown time zone 'Mars/Base' (use an IANA name like Europe/Paris)",
    ],
  ])("%s", (raw, human) => {
    expect(humanMessage(raw)).toBe(human);
  });
});

describe("validation errors of the API", () => {
  const error = new ApiError(422, "validation_error", "quiet_hours.start: Value error, bad", [
    { loc: ["body", "quiet_hours", "start"], msg: "Value error, use HH:MM", type: "value_error" },
    {
      loc: ["body", "ttl_seconds"],
      msg: "Input should be a valid integer, unable to parse string as an integer",
      type: "int_parsing",
    },
  ]);

  it("gives each field a readable message", () => {
    expect(error.fieldErrors()).toEqual({
      "quiet_hours.start": "Use HH:MM.",
      ttl_seconds: "Enter a whole number.",
    });
  });

  it("names the field in the form-level message", () => {
    expect(errorMessage(error)).toBe("Quiet hours start: Use HH:MM.");
    expect(fieldLabel("user_ids.0")).toBe("User ids");
  });
});
