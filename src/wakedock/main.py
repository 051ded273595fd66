"""Application factory and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import NoMatchFound

from wakedock import __version__
from wakedock.audit.router import router as audit_router
from wakedock.auth.bootstrap import ensure_admin
from wakedock.auth.router import router as auth_router
from wakedock.auth.users_router import router as users_router
from wakedock.bounds import exact_integer_bounds
from wakedock.broker import create_broker
from wakedock.clock import Clock
from wakedock.compat.apps.router import router as connected_apps_router
from wakedock.compat.gotify.errors import guard_error as gotify_guard_error
from wakedock.compat.gotify.router import router as gotify_router
from wakedock.compat.gotify.stream import router as gotify_stream_router
from wakedock.compat.ntfy import router as ntfy_router
from wakedock.dashboards.bootstrap import ensure_builtins as ensure_dashboard_builtins
from wakedock.dashboards.router import router as dashboards_router
from wakedock.dashboards.sources.router import router as dashboard_sources_router
from wakedock.dashboards.templates.router import router as dashboard_templates_router
from wakedock.db.engine import create_engine, create_sessionmaker
from wakedock.errors import install_error_handlers
from wakedock.gateway import Gateway
from wakedock.integrations.inbound import router as inbound_router
from wakedock.integrations.router import router as integrations_router
from wakedock.notifications.broadcast.router import router as broadcast_router
from wakedock.notifications.channels.router import push_router
from wakedock.notifications.channels.router import router as channels_router
from wakedock.notifications.delivery.router import router as deliveries_router
from wakedock.notifications.delivery.worker import DeliveryWorker
from wakedock.notifications.preferences.router import router as preferences_router
from wakedock.notifications.router import router as notifications_router
from wakedock.notifications.subscriptions.router import router as subscriptions_router
from wakedock.notifications.templates.pool import RenderLimits, TemplateRenderer
from wakedock.notifications.templates.router import router as templates_router
from wakedock.notifications.topics.router import router as topic_access_router
from wakedock.realtime.hub import Hub
from wakedock.realtime.sse import router as sse_router
from wakedock.realtime.websocket import router as websocket_router
from wakedock.request_id import RequestIdMiddleware
from wakedock.security_headers import SecurityHeadersMiddleware
from wakedock.settings import Settings
from wakedock.shutdown import GracefulStop
from wakedock.system.metrics import MetricsMiddleware
from wakedock.system.request_guard import RequestGuard
from wakedock.system.router import router as system_router
from wakedock.vault.stored import check_at_startup as check_stored_secrets
from wakedock.web.docs import mount_docs
from wakedock.web.spa import mount_ui

logger = logging.getLogger(__name__)

ROUTERS = [
    system_router,
    auth_router,
    users_router,
    audit_router,
    notifications_router,
    preferences_router,
    templates_router,
    subscriptions_router,
    topic_access_router,
    dashboards_router,
    dashboard_templates_router,
    dashboard_sources_router,
    channels_router,
    push_router,
    broadcast_router,
    deliveries_router,
    integrations_router,
    inbound_router,
    sse_router,
    websocket_router,
    connected_apps_router,
    gotify_router,
    gotify_stream_router,
]


@asynccontextmanager
async def _background(coroutine: Coroutine[Any, Any, None] | None) -> AsyncIterator[None]:
    """Run a long-lived task for the app's lifetime; cancel it at shutdown."""
    if coroutine is None:
        yield
        return
    task = asyncio.create_task(coroutine)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def tune_garbage_collector() -> None:
    """Keep the cyclic collector's pauses short on a server holding thousands of sockets.

    Called by ``wakedock serve`` once the app is built (not by ``create_app``: a test process
    builds many apps). What that made (modules, routes, models: ~180k objects) lives as long
    as the process: frozen, a full collection no longer walks it. And with CPython's default
    thresholds, a process whose heap grows (10,000 sockets connecting) runs a full collection
    every couple of seconds, each longer than the last (57 pauses of up to 440 ms, 11.6 s in
    all, while 10,000 clients reconnected in the benchmark). Collecting the young generation
    every 10,000 allocations rather than 700, and the whole heap after 100 middle-generation
    passes rather than 10, keeps every pause under ~50 ms (1 s in all for the same storm);
    memory in reference cycles is returned somewhat later.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)


def build_routes(app: FastAPI) -> None:
    """Build every route's request handling now rather than on its first request.

    FastAPI builds a route's effective context (dependency tree, body and response fields)
    lazily, the first time a request walks past it: ~200 ms of CPU for the first requests
    after a start, and creates arriving meanwhile queued behind it (p50 250 ms for the first
    second at 200 creates/s in the benchmark). Resolving a name no route has walks them all.
    """
    with contextlib.suppress(NoMatchFound):
        app.url_path_for("wakedock:build-routes")


def render_limits(settings: Settings) -> RenderLimits:
    return RenderLimits(
        timeout_ms=settings.template_render_timeout_ms,
        max_output_chars=settings.template_max_output_chars,
        max_source_chars=settings.template_max_source_chars,
        memory_mb=settings.template_memory_limit_mb,
        processes=settings.template_renderer_processes,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        broker = create_broker(settings.redis_url)
        app.state.broker = broker
        worker = DeliveryWorker(
            sessionmaker=app.state.sessionmaker,
            settings=settings,
            broker=broker,
            clock=app.state.clock,
        )
        app.state.worker = worker
        hub = Hub(
            broker=broker,
            sessionmaker=app.state.sessionmaker,
            clock=app.state.clock,
            heartbeat_interval=settings.heartbeat_interval_seconds,
            max_queue=settings.socket_queue_size,
            max_bytes=settings.socket_queue_max_bytes,
        )
        app.state.hub = hub
        app.state.renderer = TemplateRenderer(render_limits(settings))  # processes start lazily
        try:
            await ensure_admin(app.state.sessionmaker, settings)
            await ensure_dashboard_builtins(app.state.sessionmaker)
            await check_stored_secrets(app.state.sessionmaker, settings.keyring)
            stop = GracefulStop(
                hub=hub,
                worker=worker if settings.worker_enabled else None,
                grace=settings.shutdown_grace_seconds,
            )
            async with (
                broker.lifespan(),
                _background(hub.run()),
                _background(hub.housekeeping()),
                _background(worker.run() if settings.worker_enabled else None),
                stop.on_signals() if app.state.stop_on_signals else contextlib.nullcontext(),
            ):
                await asyncio.wait_for(hub.ready.wait(), 10)
                yield
                await stop.finish()  # sockets 1012, SSE ended, leases released
        finally:
            await app.state.renderer.aclose()
            await app.state.ntfy_visitors.aclose()
            await engine.dispose()

    app = FastAPI(
        title="WakeDock",
        version=__version__,
        summary="Self-hosted notifications and dashboards",
        lifespan=lifespan,
        docs_url=None,  # served from the package (web.docs): no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = Clock()
    app.state.stop_on_signals = False  # ``serve_app``: SIGTERM begins the graceful stop
    # Resolve the secret now: a missing data dir or unreadable key fails start-up, not a request.
    _ = settings.resolved_secret_key
    install_error_handlers(app)
    app.add_middleware(
        RequestGuard,
        limits=settings.limits,
        protocol_errors=[gotify_guard_error, ntfy_router.guard_answer],
    )  # inside CORS: its answers get CORS
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)  # outermost of ours: its id is in every answer
    for router in ROUTERS:
        app.include_router(router)
    mount_docs(app)
    ntfy_router.install(app)  # last: topic names at the root never shadow a route
    mount_ui(app, settings.web_dir)  # the router's fallback: never shadows a route
    _exact_openapi_integers(app)
    return app


def _exact_openapi_integers(app: FastAPI) -> None:
    """The OpenAPI document with integer bounds as integers (see ``bounds``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            exact_integer_bounds(generate())
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


def serve_app() -> Gateway:
    """The factory ``wakedock serve`` hands to Uvicorn (each worker process calls it): the app,
    with notification sockets and creates served without the framework's per-request layers."""
    from wakedock.log import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    app.state.stop_on_signals = True
    build_routes(app)  # before the freeze: what it builds lives as long as the process
    gateway = Gateway(app)
    tune_garbage_collector()
    return gateway
