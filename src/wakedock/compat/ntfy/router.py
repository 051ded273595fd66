"""ntfy's routes at the root, as ntfy serves them (mounted after every WakeDock router).

Topic names are matched by the path convertors (``parse.TOPIC_PATH``): ntfy's syntax, and
never a reserved name, so ``/api``, ``/metrics``, the UI's routes and the Gotify-compatible
routes never reach these handlers; a ``GET /{topic}`` is not routed here either: the UI
answers it, as ntfy's web app does. Every answer here, errors included, is in ntfy's shapes.
The routes stay out of WakeDock's OpenAPI document (their contract is ntfy's docs).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from wakedock.audit.context import AuditActor, anonymous_actor
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import ANONYMOUS
from wakedock.compat.ntfy import access, errors, parse, service, stream, visitors
from wakedock.realtime.hub import Hub


class _Topic(Convertor[str]):
    regex = parse.TOPIC_PATH

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _Topics(_Topic):
    regex = parse.TOPICS_PATH


register_url_convertor("ntfytopic", _Topic())
register_url_convertor("ntfytopics", _Topics())

router = APIRouter(include_in_schema=False)
# The publish routes' templates (the gateway's direct publish labels its metrics with them).
PUBLISH_PATH = "/{topic:ntfytopic}"
PUBLISH_JSON_PATH = "/"


def _settings(request: Request | WebSocket) -> Any:
    return request.app.state.settings


async def _publish(
    request: Request, make: Callable[[bytes], service.Publish], topic: str | None = None
) -> Response:
    state = request.app.state
    async with state.sessionmaker() as session:
        message = await publish_with(
            state,
            session,
            access.authorization(request),
            request.body,
            make,
            topic,
            meta=anonymous_actor(request),
        )
    return Response(orjson.dumps(message), media_type="application/json")


async def publish_with(
    state: Any,
    session: AsyncSession,
    authorization: str | None,
    body: Callable[[], Awaitable[bytes]],
    make: Callable[[bytes], service.Publish],
    topic: str | None,
    *,
    meta: AuditActor,
) -> dict[str, Any]:
    """A publish given the app's state, the request's Authorization value
    (``access.authorization``), how to read its body, how to make the publish of it, the
    topic its path names and where it comes from: the message JSON to answer. The routes and
    the gateway's direct publish (``compat.direct``) both run it."""
    topic_read = None
    if authorization:
        principal, topic_read = await access.publisher(
            authorization, session, state.settings, meta=meta, topic=topic
        )
        publish = make(await body())
    else:
        principal = ANONYMOUS
        publish = await _anonymous(state, session, body, make, topic, meta.ip)
    return await service.publish(
        session,
        principal=principal,
        actor=principal.acting(meta),
        publish=publish,
        now=state.clock.now(),
        broker=state.broker,
        topic_read=topic_read,
    )


async def _anonymous(
    state: Any,
    session: AsyncSession,
    body: Callable[[], Awaitable[bytes]],
    make: Callable[[bytes], service.Publish],
    topic: str | None,
    address: str | None,
) -> service.Publish:
    """A publish without credentials: only to a topic an admin opened (else 401, before the
    body is read when the path names the topic), never delayed, rate-limited by address."""
    if topic is not None:
        await service.check_anonymous(session, topic)
    publish = make(await body())
    if topic is None:
        await service.check_anonymous(session, publish.topic)
    if publish.delay is not None:
        raise errors.unauthorized()
    wait = await state.ntfy_visitors.take(address)
    if wait is not None:
        raise errors.rate_limited(wait)
    return publish


class _WebUI:
    """``GET /{topic}`` (and ``GET /``): the web UI, as ntfy serves its web app there (the
    app's fallback, the SPA)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].router.default(scope, receive, send)


# Also "/": its PUT and POST routes below would otherwise make a GET of it a 405.
for _path in ("/", "/{topic:ntfytopic}"):
    router.routes.append(Route(_path, _WebUI(), methods=["GET", "HEAD"]))


def _headers(request: Request) -> dict[str, str]:
    """The headers as a dict, each name's first value (as ``Headers.get`` reads them): a
    publish looks each of its parameters up under several names, a dict's lookup each time
    rather than a scan of the raw headers."""
    found: dict[str, str] = {}
    for name, value in request.headers.items():
        found.setdefault(name, value)
    return found


def _query(request: Request) -> dict[str, str]:
    """The query parameters as a plain dict (each name's last value, as ``query_params[name]``
    reads them). A publish looks up ~40 spellings; ``query_params.get`` answers a missing one
    by raising and catching a KeyError (``Mapping.get``): ~8% of an ntfy publish's CPU."""
    if not request.scope.get("query_string"):
        return {}
    return dict(request.query_params.items())


@router.put(PUBLISH_PATH)
@router.post(PUBLISH_PATH)
async def publish(topic: str, request: Request) -> Response:
    limit = _settings(request).ntfy_message_limit
    return await _publish(
        request,
        lambda body: service.from_request(
            topic, _headers(request), _query(request), body, limit=limit
        ),
        topic,
    )


for _verb in ("publish", "send", "trigger"):
    router.add_api_route(f"/{{topic:ntfytopic}}/{_verb}", publish, methods=["GET", "PUT", "POST"])


@router.put(PUBLISH_JSON_PATH)
@router.post(PUBLISH_JSON_PATH)
async def publish_json(request: Request) -> Response:
    limit = _settings(request).ntfy_message_limit
    return await _publish(
        request,
        lambda body: service.from_json(body, _headers(request), _query(request), limit=limit),
    )


async def _subscription(
    request: Request | WebSocket, topics_path: str
) -> tuple[Hub, AsyncIterator[dict[str, Any]]]:
    """Authenticate, subscribe the user to the topics, and the events to send."""
    topics = parse.topics(topics_path)
    query, headers = request.query_params, request.headers
    hub: Hub = request.app.state.hub
    poll = parse.boolean(query.get("poll") or headers.get("x-poll") or headers.get("poll"))
    since = parse.since(
        query.get("since") or headers.get("x-since") or headers.get("since"),
        poll=poll,
        now=hub.clock.now(),
    )
    filters = service.Filters.read(query, headers)
    async with request.app.state.sessionmaker() as session:
        principal = await access.principal(
            request, session, _settings(request), needs=Permission.NOTIFICATIONS_READ
        )
        await service.ensure_subscribed(
            session,
            principal=principal,
            actor=principal.acting(anonymous_actor(request)),
            topics=topics,
        )
    events = stream.events(
        hub,
        principal,
        topics=topics,
        since=since,
        poll=poll,
        filters=filters,
        keepalive=_settings(request).ntfy_keepalive_seconds,
    )
    return hub, events


def _streaming(
    events: AsyncIterator[dict[str, Any]], frame: Callable[[dict[str, Any]], bytes], media: str
) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        async for event in events:
            chunk = frame(event)
            if chunk:
                yield chunk

    return StreamingResponse(
        body(),
        media_type=media,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{topics:ntfytopics}/json")
async def subscribe_json(topics: str, request: Request) -> Response:
    _, events = await _subscription(request, topics)
    return _streaming(events, stream.json_line, "application/x-ndjson; charset=utf-8")


@router.get("/{topics:ntfytopics}/sse")
async def subscribe_sse(topics: str, request: Request) -> Response:
    _, events = await _subscription(request, topics)
    return _streaming(events, stream.sse_frame, "text/event-stream; charset=utf-8")


@router.get("/{topics:ntfytopics}/raw")
async def subscribe_raw(topics: str, request: Request) -> Response:
    _, events = await _subscription(request, topics)
    return _streaming(events, stream.raw_line, "text/plain; charset=utf-8")


@router.get("/{topics:ntfytopics}/auth")
async def topic_auth(topics: str, request: Request) -> Response:
    """What ntfy's apps call to check credentials for a topic before subscribing."""
    names = parse.topics(topics)
    async with request.app.state.sessionmaker() as session:
        principal = await access.principal(
            request, session, _settings(request), needs=Permission.NOTIFICATIONS_READ
        )
        await service.check_subscribe(session, principal, names)
    return JSONResponse({"success": True})


@router.websocket("/{topics:ntfytopics}/ws")
async def subscribe_ws(topics: str, websocket: WebSocket) -> None:
    """ntfy's WebSocket: the JSON events as text messages. Refused before the handshake is
    accepted with the HTTP status of the error (as ntfy's, a client sees 401/400)."""
    try:
        _, events = await _subscription(websocket, topics)
    except errors.NtfyError as exc:
        await websocket.send_denial_response(exc.response())
        return
    await websocket.accept()

    async def reader() -> None:
        try:
            while True:
                await websocket.receive_text()  # ntfy clients send nothing; pings are frames
        except WebSocketDisconnect:
            return

    reading = asyncio.ensure_future(reader())
    try:
        async for event in events:
            if reading.done():
                break
            await websocket.send_text(stream.json_line(event).decode().rstrip("\n"))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reading.cancel()
        await events.aclose()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ outside the routes

# The paths these routes serve, for the request guard's answers (``guard_answer``).
_PATHS = re.compile(
    rf"^/(?:(?:{parse.TOPICS_PATH})(?:/(?:json|sse|raw|ws|auth|publish|send|trigger))?)?$"
)


def guard_answer(path: str, status: int, message: str) -> Response | None:
    """The request guard's refusal (413: body too large, 422: NUL) in ntfy's shape on ntfy's
    paths (None elsewhere: WakeDock's shape; ``message`` is WakeDock's, ntfy has its own)."""
    if not _PATHS.match(path):
        return None
    if status == 413:
        return errors.json_too_large().response()
    return errors.nul_refused().response()


def install(app: FastAPI) -> None:
    """Mount the routes (call after every other router) and ntfy's error handler; the
    anonymous publishers' rate limit is shared through Redis when one is configured."""
    app.add_exception_handler(errors.NtfyError, errors.handle)
    app.state.ntfy_visitors = visitors.create_visitors(app.state.settings.redis_url)
    app.include_router(router)
