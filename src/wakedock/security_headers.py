"""Security headers on every HTTP answer: what a browser may load, run, frame and send along.

Three sets, chosen by path before the app runs (no header scanning), each precomputed as bytes:

- The UI (every path the API does not own: the app shell, its assets): a Content-Security-Policy
  that lets the page load script, style, fonts and connections from its own origin only
  (``connect-src 'self'`` covers the same-origin ``ws:``/``wss:`` socket), images also from
  ``data:`` and any ``https:`` host (text widgets' markdown may show remote images; an image
  cannot run script), no plugins, no ``<base>`` or form target elsewhere, and no framing
  (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for browsers without CSP 3). React
  sets element styles through the CSSOM, which ``style-src`` does not govern, so the built UI
  needs no ``'unsafe-inline'``: only react-draggable's one ``<style>`` element, allowed by its
  hash (checked in Chromium by the browser tests, which fail on any CSP violation). Also
  ``nosniff``, ``Referrer-Policy: no-referrer``, a Permissions-Policy turning off what the UI
  never uses, and ``Cross-Origin-Opener-Policy: same-origin``.
- The API (``/api/``, ``/ws/``, ``/metrics``, ``/openapi.json``): ``nosniff`` and a policy that
  loads nothing and may not be framed. ``notifications.create_direct`` appends the same list.
- The API reference (``/docs``, ``/redoc``): Swagger UI and ReDoc, served from this origin
  (``web.docs``: no CDN, they render offline), started by an inline script. Their policy loads
  from this origin only and names each inline script by its SHA-256, hashed from the page as it
  is sent (so it follows FastAPI's template, and nothing injected runs); ReDoc injects its own
  styles, so ``style-src`` allows inline styles there. These pages are small and rarely
  requested: their body is buffered to hash it. Their assets (``/docs/assets/``) get the UI's
  headers. Checked in Chromium with the network cut but for the server (tests/web/test_docs).

WebSocket upgrades pass straight through (a policy on a handshake answer means nothing). HSTS is
left to the TLS-terminating proxy: WakeDock may well be served over plain HTTP on a LAN.

A 500 answered by Starlette's outermost error middleware carries none of these (it has no body
worth protecting: the error shape without details).
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


def source_hash(text: str | bytes) -> str:
    """A CSP source that allows exactly this inline script or ``<style>`` text."""
    data = text.encode() if isinstance(text, str) else text
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode() + "'"


# The one <style> element the UI injects: react-draggable's (react-grid-layout's dragging) rule
# that stops text being selected while a widget is dragged. Named by hash, so no other inline
# style is allowed; a new version that changes it shows up as a violation in the browser tests.
DRAGGABLE_STYLE = (
    ".react-draggable-transparent-selection *::-moz-selection {all: inherit;}\n"
    ".react-draggable-transparent-selection *::selection {all: inherit;}\n"
)

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {source_hash(DRAGGABLE_STYLE)}",
        "img-src 'self' data: https:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

NOSNIFF = (b"x-content-type-options", b"nosniff")
API_HEADERS: Headers = [NOSNIFF, (b"content-security-policy", API_POLICY.encode())]
# Every page's, whatever its policy.
BROWSER_HEADERS: Headers = [
    NOSNIFF,
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
]
PAGE_HEADERS: Headers = [*BROWSER_HEADERS, (b"content-security-policy", PAGE_POLICY.encode())]
API_PREFIXES = ("/api/", "/ws/", "/metrics", "/openapi.json")
DOCS_PATHS = ("/docs", "/redoc")
DOCS_ASSETS = "/docs/assets/"

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: bytes) -> str:
    """The API reference pages' policy, with each inline script of ``html`` named by hash."""
    hashes = [source_hash(script) for script in _INLINE_SCRIPT.findall(html)]
    return "; ".join(
        [
            "default-src 'none'",
            " ".join(["script-src 'self'", *hashes]),
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def headers_for(path: str) -> Headers | None:
    """The set for a path; None for the API reference pages (their policy needs the body)."""
    if path.startswith(API_PREFIXES):
        return API_HEADERS
    if path.startswith(DOCS_PATHS) and not path.startswith(DOCS_ASSETS):
        return None
    return PAGE_HEADERS


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"])
        if extra is None:
            await self.app(scope, receive, _DocsSender(send))
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _DocsSender:
    """Holds the answer's start until the body is complete, then sends both with the policy."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.body)
        policy = (b"content-security-policy", docs_policy(body).encode())
        headers = [*self.start.get("headers", ()), *BROWSER_HEADERS, policy]
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})
