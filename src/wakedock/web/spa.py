"""Serve the built UI at ``/`` with a client-side-routing fallback to ``index.html``.

The API (``/api``), the sockets (``/ws``), ``/metrics`` and the OpenAPI docs are routed before
this, so the fallback only answers paths no router claimed. Without a build the service still
runs and ``/`` says how to get the UI.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send

logger = logging.getLogger(__name__)

PACKAGED_DIST = Path(__file__).parent / "dist"
# Paths that belong to the server: an unknown one is the API's JSON 404, never the SPA.
SERVER_PREFIXES = ("/api/", "/ws/", "/metrics", "/docs", "/redoc", "/openapi.json")

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WakeDock</title></head>
<body>
<h1>WakeDock is running</h1>
<p>The API answers under <a href="/api/health">/api</a> and its reference is at
<a href="/docs">/docs</a>, but the web UI has not been built.</p>
<p>Install Node.js 20 or newer and run <code>make web</code> (or simply <code>make run</code>,
which builds it when it is missing or stale), then reload this page.</p>
</body></html>
"""


def resolve_dist(configured: Path | None) -> Path | None:
    """The directory holding the built UI's index.html, if there is one."""
    candidate = configured or PACKAGED_DIST
    return candidate if (candidate / "index.html").is_file() else None


def mount_ui(app: FastAPI, web_dir: Path | None) -> None:
    """Answer GETs that no route claims with the UI (static file or the app shell).

    It is the router's fallback rather than a catch-all route, so routes added later still win
    and unmatched API paths, other methods and sockets keep the usual 404 handling.
    """
    dist = resolve_dist(web_dir)
    if dist is None:
        logger.warning(
            "web UI not built (%s has no index.html): the API runs; "
            "install Node.js 20+ and run `make web` to get the UI",
            web_dir or PACKAGED_DIST,
        )
    root = dist.resolve() if dist else None
    not_found = app.router.default

    async def web_ui(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.startswith(SERVER_PREFIXES)
        ):
            await not_found(scope, receive, send)
            return
        await _respond(root, path.lstrip("/"))(scope, receive, send)

    app.router.default = web_ui


def _respond(root: Path | None, path: str) -> Response:
    if root is None:
        return HTMLResponse(NOT_BUILT_PAGE)
    if path:
        file = (root / path).resolve()
        # Only files inside the build; ``..`` tricks fall through to the app shell.
        if file.is_relative_to(root) and file.is_file():
            return FileResponse(file, headers=_cache_headers(path))
    return FileResponse(root / "index.html", headers={"Cache-Control": "no-cache"})


def _cache_headers(path: str) -> dict[str, str]:
    # Vite fingerprints everything under assets/; the rest (sw.js, favicon) must revalidate.
    if path.startswith("assets/"):
        return {"Cache-Control": "public, max-age=31536000, immutable"}
    return {"Cache-Control": "no-cache"}
