import { describe, expect, it } from "vitest";

import { gotifySnippets, isNtfyTopic, ntfySnippets, serverOf } from "./snippets";

const byId = (list: { id: string; text: string }[], id: string) =>
  list.find((s) => s.id === id)?.text;

describe("serverOf", () => {
  it("keeps the port and tells https", () => {
    expect(serverOf("http://127.0.0.1:8000")).toEqual({
      origin: "http://127.0.0.1:8000",
      host: "127.0.0.1:8000",
      secure: false,
    });
    expect(serverOf("https://wakedock.example").secure).toBe(true);
  });
});

describe("gotify snippets", () => {
  it("gives Apprise's scheme by TLS", () => {
    expect(byId(gotifySnippets(serverOf("http://h:8000"), "wdk_x"), "apprise")).toBe(
      "gotify://h:8000/wdk_x",
    );
    expect(byId(gotifySnippets(serverOf("https://h"), "wdk_x"), "apprise")).toBe(
      "gotifys://h/wdk_x",
    );
  });
  it("sends the key header with curl", () => {
    expect(byId(gotifySnippets(serverOf("https://h"), "wdk_x"), "curl")).toContain(
      'curl "https://h/message" -H "X-Gotify-Key: wdk_x"',
    );
  });
});

describe("ntfy snippets", () => {
  it("names the token as a token for Apprise", () => {
    const list = ntfySnippets(serverOf("https://h"), "wdk_t", "backups");
    expect(byId(list, "apprise")).toBe("ntfys://wdk_t@h/backups?auth=token");
    expect(byId(list, "shoutrrr")).toBe("ntfy://:wdk_t@h/backups");
    expect(byId(ntfySnippets(serverOf("http://h:1"), "wdk_t", "b"), "shoutrrr")).toBe(
      "ntfy://:wdk_t@h:1/b?scheme=http",
    );
  });
  it("checks ntfy's topic syntax", () => {
    expect(isNtfyTopic("backups_1-a")).toBe(true);
    expect(isNtfyTopic("bad topic")).toBe(false);
    expect(isNtfyTopic("x".repeat(65))).toBe(false);
  });
});
