import { describe, expect, it } from "vitest";

import {
  gotifyClientSnippets,
  gotifySnippets,
  isNtfyTopic,
  ntfySnippets,
  priorityOf,
  serverOf,
} from "./snippets";

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

describe("gotify client snippets", () => {
  const list = gotifyClientSnippets(serverOf("https://h"), "wdk_c");
  it("gives the server URL and the client token together", () => {
    expect(byId(list, "client")).toBe("Server URL: https://h\nClient token: wdk_c");
  });
  it("streams over wss with TLS, ws without", () => {
    expect(byId(list, "stream")).toBe("wss://h/stream?token=wdk_c");
    expect(byId(gotifyClientSnippets(serverOf("http://h:8000"), "wdk_c"), "stream")).toBe(
      "ws://h:8000/stream?token=wdk_c",
    );
  });
  it("tells the Android app's URL and sign-in, never a token it cannot take", () => {
    const android = byId(list, "gotify-android") ?? "";
    expect(android).toContain("Gotify URL: https://h");
    expect(android).not.toContain("wdk_c");
  });
  it("reads with the key header", () => {
    expect(byId(list, "curl")).toBe(
      'curl -s "https://h/message?limit=10" -H "X-Gotify-Key: wdk_c"',
    );
  });
});

describe("priorityOf", () => {
  it("reads a whole number and passes anything else through for the server to name", () => {
    expect(priorityOf("8")).toBe(8);
    expect(priorityOf(" 10 ")).toBe(10);
    expect(priorityOf("high")).toBe("high");
    expect(priorityOf("")).toBe("");
  });
});

describe("ntfy snippets as the apps word them", () => {
  const list = ntfySnippets(serverOf("https://h"), "wdk_t", "backups");
  it("names Uptime Kuma's fields", () => {
    expect(byId(list, "uptime-kuma")).toBe(
      [
        "Notification Type: Ntfy",
        "ntfy Topic: backups",
        "Server URL: https://h",
        "Authentication Method: Access Token",
        "Access Token: wdk_t",
      ].join("\n"),
    );
  });
  it("signs the ntfy Android app in with a username and password, never a bare token", () => {
    const android = byId(list, "ntfy-android") ?? "";
    expect(android).toContain("Manage users → Add users → Add new user");
    expect(android).toContain("Use another server → https://h → Subscribe");
    expect(android).not.toContain("wdk_t");
  });
});
