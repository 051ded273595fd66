import { describe, expect, it } from "vitest";

import { toConfig, toValues } from "./channelKinds";

describe("channel config forms", () => {
  it("parses numbers and JSON, leaves out empty values and untouched secrets", () => {
    expect(
      toConfig("webhook", {
        url: " https://h.example/x ",
        secret: "",
        headers: '{"A": "b"}',
        timeout_seconds: "5",
      }),
    ).toEqual({ url: "https://h.example/x", headers: { A: "b" }, timeout_seconds: 5 });
  });

  it("keeps settings the form has no field for, and sends garbage as typed", () => {
    expect(
      toConfig(
        "webpush",
        { vapid_public_key: "k", subject: "mailto:a@b.c" },
        { ttl_seconds: 60, subject: "old" },
      ),
    ).toEqual({
      ttl_seconds: 60,
      vapid_public_key: "k",
      subject: "mailto:a@b.c",
    });
    expect(toConfig("email", { host: "h", port: "abc", from_address: "x@y.z" }).port).toBe("abc");
  });

  it("never puts a secret into the form", () => {
    expect(toValues("apprise", { url: "should-not-be-here", tag: "ops" })).toEqual({
      url: "",
      tag: "ops",
    });
  });
});
