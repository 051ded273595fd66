"""Prometheus metrics for HTTP traffic (a plain ASGI middleware: cheap on the hot path)."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "wakedock_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "wakedock_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _route_template(scope: Scope) -> str:
    # Routing leaves the matched route in the scope. Label by its template
    # (/api/users/{user_id}), never by the raw path, so cardinality stays bounded.
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            record_request(scope["method"], _route_template(scope), status_code, start)


def record_request(method: str, route: str, status_code: int, start: float) -> None:
    """Count a request answered with ``status_code`` that began at ``start`` (perf_counter)."""
    HTTP_REQUESTS.labels(method, route, str(status_code)).inc()
    HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - start)
