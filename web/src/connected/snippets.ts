// Ready-made set-ups for the tools that speak Gotify or ntfy, built from the page's own origin
// and a token shown once. URL syntaxes: Apprise's gotify and ntfy plugins (templates in their
// source), shoutrrr's ntfy service, Gotify's POST /message and ntfy's publish docs. Field and
// menu names as the apps word them in English (Uptime Kuma's en.json and notification forms,
// the ntfy and Gotify Android apps' strings.xml; docs/compat.md has the same set-ups).

export interface Server {
  origin: string; // https://wakedock.example (no trailing slash)
  host: string; // wakedock.example[:port]
  secure: boolean;
}

export function serverOf(origin: string): Server {
  const url = new URL(origin);
  return { origin: url.origin, host: url.host, secure: url.protocol === "https:" };
}

export interface Snippet {
  id: string;
  label: string;
  text: string;
}

const TOPIC_RE = /^[-_A-Za-z0-9]{1,64}$/;

/** An ntfy topic name as ntfy accepts it ([-_A-Za-z0-9], 1-64 characters). */
export function isNtfyTopic(topic: string): boolean {
  return TOPIC_RE.test(topic);
}

export function gotifySnippets(server: Server, token: string): Snippet[] {
  const { origin, host, secure } = server;
  return [
    {
      id: "apprise",
      label: "Apprise URL",
      text: `${secure ? "gotifys" : "gotify"}://${host}/${token}`,
    },
    {
      id: "curl",
      label: "curl",
      text: `curl "${origin}/message" -H "X-Gotify-Key: ${token}" -F "title=Backup" -F "message=done" -F "priority=5"`,
    },
    {
      id: "uptime-kuma",
      label: "Uptime Kuma",
      text: [
        "Notification Type: Gotify",
        `Application Token: ${token}`,
        `Server URL: ${origin}`,
        "Priority: 8",
      ].join("\n"),
    },
    {
      id: "home-assistant",
      label: "Home Assistant (configuration.yaml)",
      text: [
        "notify:",
        "  - platform: rest",
        "    name: wakedock",
        `    resource: ${origin}/message`,
        "    method: POST_JSON",
        "    headers:",
        `      X-Gotify-Key: ${token}`,
        "    message_param_name: message",
        "    title_param_name: title",
      ].join("\n"),
    },
  ];
}

/** A Gotify client token's set-ups: what reads and receives (never sends). The Gotify Android
 *  app signs in with a username and password and makes its own client (its login screen has
 *  no token field), so its line names the URL and the sign-in. */
export function gotifyClientSnippets(server: Server, token: string): Snippet[] {
  const { origin, host, secure } = server;
  return [
    {
      id: "gotify-android",
      label: "Gotify Android app",
      text: [
        `Gotify URL: ${origin} → Check URL`,
        "Username and Password: your WakeDock ones → Login",
        "(the app makes its own client: it shows up in this list)",
      ].join("\n"),
    },
    {
      id: "client",
      label: "Clients that take a token (desktop, scripts)",
      text: [`Server URL: ${origin}`, `Client token: ${token}`].join("\n"),
    },
    {
      id: "stream",
      label: "Live stream (WebSocket)",
      text: `${secure ? "wss" : "ws"}://${host}/stream?token=${token}`,
    },
    {
      id: "curl",
      label: "curl (read)",
      text: `curl -s "${origin}/message?limit=10" -H "X-Gotify-Key: ${token}"`,
    },
  ];
}

/** Gotify's 0-10 priority from a form's text; a non-number is sent as it is, so the server's
 *  message names the field. */
export function priorityOf(text: string): number {
  return (/^\d+$/.test(text.trim()) ? Number(text.trim()) : text) as number;
}

export function ntfySnippets(server: Server, token: string, topic: string): Snippet[] {
  const { origin, host, secure } = server;
  return [
    {
      id: "apprise",
      label: "Apprise URL",
      text: `${secure ? "ntfys" : "ntfy"}://${token}@${host}/${topic}?auth=token`,
    },
    {
      id: "curl",
      label: "curl (publish)",
      text: `curl -H "Authorization: Bearer ${token}" -H "Title: Backup" -H "Tags: warning" -d "done" ${origin}/${topic}`,
    },
    {
      id: "curl-poll",
      label: "curl (read)",
      text: `curl -s -H "Authorization: Bearer ${token}" "${origin}/${topic}/json?poll=1"`,
    },
    {
      id: "shoutrrr",
      label: "shoutrrr URL (Watchtower…)",
      text: `ntfy://:${token}@${host}/${topic}${secure ? "" : "?scheme=http"}`,
    },
    {
      id: "uptime-kuma",
      label: "Uptime Kuma",
      text: [
        "Notification Type: Ntfy",
        `ntfy Topic: ${topic}`,
        `Server URL: ${origin}`,
        "Authentication Method: Access Token",
        `Access Token: ${token}`,
      ].join("\n"),
    },
    {
      id: "ntfy-android",
      label: "ntfy Android app",
      // The app's Add user needs a username and a password (it cannot send a token alone).
      text: [
        "Settings → Manage users → Add users → Add new user:",
        `Service URL ${origin}, Username and Password: your WakeDock ones → Add user.`,
        `Then + (Add subscription) → Topic name ${topic}`,
        `→ Use another server → ${origin} → Subscribe`,
      ].join("\n"),
    },
  ];
}
