import { describe, expect, it } from "vitest";

import { snippet, targetText, toTarget } from "./integrationKinds";

describe("integration forms", () => {
  it("turns the target form into the API's target and back", () => {
    expect(toTarget("topic", " ops ")).toEqual({ topic: "ops" });
    expect(toTarget("roles", "admin, operator,")).toEqual({ roles: ["admin", "operator"] });
    expect(toTarget("user_ids", "3, 12")).toEqual({ user_ids: [3, 12] });
    expect(targetText({ user_ids: [3, 12] })).toBe("3, 12");
  });

  it("puts the URL and the credential in each kind's snippet", () => {
    const am = snippet("alertmanager", "https://w.example/api/integrations/alertmanager", "wdi_x");
    expect(am).toContain("url: https://w.example/api/integrations/alertmanager");
    expect(am).toContain("credentials: wdi_x");
    expect(snippet("github", "https://w/x", "s3cret")).toContain("Secret: s3cret");
    expect(snippet("hook", "https://w/api/hooks/2", "k", "X-Sig")).toContain('-H "X-Sig: sha256=');
  });
});
