"""Gotify's routes, at the root as Gotify serves them (errors in Gotify's shape)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock import __version__
from wakedock.audit.context import AuditActor
from wakedock.auth.dependencies import RequestMeta
from wakedock.auth.permissions import Permission, Role
from wakedock.broker import Broker
from wakedock.compat.gotify import applications, clients, credentials, icon, messages
from wakedock.compat.gotify.body import parse
from wakedock.compat.gotify.errors import GotifyError, GotifyRoute
from wakedock.compat.gotify.models import GotifyApplication
from wakedock.compat.gotify.schemas import (
    ApplicationIn,
    ApplicationOut,
    ClientIn,
    ClientOut,
    HealthOut,
    MessageIn,
    MessageOut,
    PagedMessages,
    UserOut,
    VersionOut,
)
from wakedock.dependencies import AppBroker, AppSettings, DbSession
from wakedock.errors import NotFound
from wakedock.notifications.dependencies import AppClock
from wakedock.notifications.templates.pool import TemplateRenderer
from wakedock.settings import Settings

# Not in WakeDock's OpenAPI document: Gotify's API is described by Gotify's own spec, and its
# error shape is not WakeDock's (the document, the generated client and the schema-driven
# checks all hold to the one shape). docs/compat.md lists what is served.
router = APIRouter(route_class=GotifyRoute, tags=["gotify"], include_in_schema=False)
# The Gotify version whose API this answers (docs/compat.md lists what is supported).
GOTIFY_API_VERSION = "2.6.1"
_MAX_ID = 2**63 - 1
MESSAGE_PATH = "/message"  # publishing: also served by the gateway (compat.direct)


def _id(value: int) -> int:
    if not 1 <= value <= _MAX_ID:
        raise GotifyError("invalid id")
    return value


def _app_out(
    app: GotifyApplication, token: str = "", last_used: datetime | None = None
) -> ApplicationOut:
    return ApplicationOut(
        id=app.id,
        token=token,
        name=app.name,
        description=app.description,
        defaultPriority=app.default_priority,
        lastUsed=last_used,
        topic=app.topic,
    )


def _settings(body: ApplicationIn) -> applications.Settings:
    return applications.Settings(
        name=body.name,
        description=body.description,
        default_priority=body.defaultPriority,
        topic=body.topic,
    )


@router.post(
    MESSAGE_PATH,
    response_model=MessageOut,
    response_model_exclude_none=True,
    summary="Gotify: publish a message",
)
async def create_message(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> dict[str, Any]:
    return await publish_message(
        db,
        settings,
        credentials.read(request).token,
        lambda: parse(request, MessageIn, int_fields=("priority",)),
        now=clock.now(),
        broker=broker,
        meta=meta,
        renderer=request.app.state.renderer,
    )


async def publish_message(
    db: AsyncSession,
    settings: Settings,
    token: str | None,
    body: Callable[[], Awaitable[MessageIn]],
    *,
    now: datetime,
    broker: Broker | None,
    meta: AuditActor,
    renderer: TemplateRenderer | None,
) -> dict[str, Any]:
    """``POST /message`` given the token the request carries and how to read its body (read
    once the token is known to be an application's: a 401 comes before a 400). The route
    and the gateway's direct publish (``compat.direct``) both run it."""
    found = await credentials.application_of(db, settings, token)
    message = await body()
    principal = found.principal
    try:
        return await messages.publish(
            db,
            principal=principal,
            actor=principal.acting(meta),
            app=found.publisher,
            body=message,
            now=now,
            broker=broker,
            renderer=renderer,
            owner=found.owner,
        )
    except ValidationError as exc:
        raise GotifyError(str(exc.errors()[0].get("msg", "invalid message"))) from None


@router.get(
    "/message",
    response_model=PagedMessages,
    response_model_exclude_none=True,
    summary="Gotify: your messages, paged",
)
async def list_messages(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    since: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
) -> PagedMessages:
    principal = await credentials.client(db, settings, request, Permission.NOTIFICATIONS_READ)
    url = str(request.url.replace(query=None))
    return await messages.page(
        db, user_id=principal.user_id, now=clock.now(), limit=limit, since=since, url=url
    )


@router.delete("/message", summary="Gotify: delete all your messages")
async def delete_messages(
    request: Request, db: DbSession, settings: AppSettings, broker: AppBroker, meta: RequestMeta
) -> Response:
    principal = await credentials.client(db, settings, request, Permission.NOTIFICATIONS_READ)
    await messages.delete_all(
        db, actor=principal.acting(meta), user_id=principal.user_id, broker=broker
    )
    return Response(status_code=200)


@router.delete("/message/{message_id}", summary="Gotify: delete a message")
async def delete_message(
    message_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> Response:
    principal = await credentials.client(db, settings, request, Permission.NOTIFICATIONS_READ)
    await messages.delete_one(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        message_id=_id(message_id),
        now=clock.now(),
        broker=broker,
    )
    return Response(status_code=200)


@router.get("/application", response_model=list[ApplicationOut], summary="Gotify: applications")
async def list_applications(
    request: Request, db: DbSession, settings: AppSettings
) -> list[ApplicationOut]:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    rows = await applications.list_own(db, user_id=principal.user_id)
    return [_app_out(app, last_used=used) for app, used in rows]


@router.post("/application", response_model=ApplicationOut, summary="Gotify: create an application")
async def create_application(
    request: Request, db: DbSession, settings: AppSettings, meta: RequestMeta
) -> ApplicationOut:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    body = await parse(request, ApplicationIn, int_fields=("defaultPriority",))
    app, token = await applications.create(
        db, principal=principal, actor=principal.acting(meta), settings=_settings(body)
    )
    return _app_out(app, token=token)


@router.put(
    "/application/{app_id}", response_model=ApplicationOut, summary="Gotify: update an application"
)
async def update_application(
    app_id: int, request: Request, db: DbSession, settings: AppSettings, meta: RequestMeta
) -> ApplicationOut:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    body = await parse(request, ApplicationIn, int_fields=("defaultPriority",))
    app = await applications.update(
        db,
        principal=principal,
        actor=principal.acting(meta),
        app_id=_id(app_id),
        settings=_settings(body),
    )
    return _app_out(app)


@router.delete("/application/{app_id}", summary="Gotify: delete an application")
async def delete_application(
    app_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    broker: AppBroker,
    meta: RequestMeta,
) -> Response:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    await applications.delete(
        db, principal=principal, actor=principal.acting(meta), app_id=_id(app_id), broker=broker
    )
    return Response(status_code=200)


@router.get(
    "/application/{app_id}/message",
    response_model=PagedMessages,
    response_model_exclude_none=True,
    summary="Gotify: an application's messages, paged",
)
async def list_app_messages(
    app_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    since: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
) -> PagedMessages:
    """The caller's messages from one of their own applications."""
    principal = await credentials.client(db, settings, request, Permission.NOTIFICATIONS_READ)
    app = await applications.get_own(db, user_id=principal.user_id, app_id=_id(app_id))
    url = str(request.url.replace(query=None))
    return await messages.page(
        db,
        user_id=principal.user_id,
        now=clock.now(),
        limit=limit,
        since=since,
        url=url,
        app_id=app.id,
    )


@router.delete("/application/{app_id}/message", summary="Gotify: delete an application's messages")
async def delete_app_messages(
    app_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    broker: AppBroker,
    meta: RequestMeta,
) -> Response:
    principal = await credentials.client(db, settings, request, Permission.NOTIFICATIONS_READ)
    app = await applications.get_own(db, user_id=principal.user_id, app_id=_id(app_id))
    await messages.delete_all(
        db, actor=principal.acting(meta), user_id=principal.user_id, broker=broker, app_id=app.id
    )
    return Response(status_code=200)


@router.get("/client", response_model=list[ClientOut], summary="Gotify: clients")
async def list_clients(request: Request, db: DbSession, settings: AppSettings) -> list[ClientOut]:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    rows = await clients.list_own(db, user_id=principal.user_id)
    return [ClientOut(id=c.id, token="", name=c.name, lastUsed=used) for c, used in rows]


@router.post("/client", response_model=ClientOut, summary="Gotify: create a client (log in)")
async def create_client(
    request: Request, db: DbSession, settings: AppSettings, meta: RequestMeta
) -> ClientOut:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    body = await parse(request, ClientIn)
    client, token = await clients.create(
        db, principal=principal, actor=principal.acting(meta), name=body.name
    )
    return ClientOut(id=client.id, token=token, name=client.name)


@router.put("/client/{client_id}", response_model=ClientOut, summary="Gotify: rename a client")
async def update_client(
    client_id: int, request: Request, db: DbSession, settings: AppSettings, meta: RequestMeta
) -> ClientOut:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    body = await parse(request, ClientIn)
    client = await clients.rename(
        db,
        principal=principal,
        actor=principal.acting(meta),
        client_id=_id(client_id),
        name=body.name,
    )
    return ClientOut(id=client.id, token="", name=client.name)


@router.delete("/client/{client_id}", summary="Gotify: delete a client")
async def delete_client(
    client_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    broker: AppBroker,
    meta: RequestMeta,
) -> Response:
    principal = await credentials.client(db, settings, request, Permission.ACCOUNT_MANAGE)
    await clients.delete(
        db,
        principal=principal,
        actor=principal.acting(meta),
        client_id=_id(client_id),
        broker=broker,
    )
    return Response(status_code=200)


@router.get("/current/user", response_model=UserOut, summary="Gotify: who you are")
async def current_user(request: Request, db: DbSession, settings: AppSettings) -> UserOut:
    principal = await credentials.client(db, settings, request)
    return UserOut(
        id=principal.user_id, name=principal.username, admin=Role.ADMIN.value in principal.roles
    )


@router.get("/version", response_model=VersionOut, summary="Gotify: version")
async def version() -> VersionOut:
    return VersionOut(version=GOTIFY_API_VERSION, commit=f"wakedock-{__version__}", buildDate="")


@router.get("/health", response_model=HealthOut, summary="Gotify: health")
async def health(db: DbSession) -> Response | HealthOut:
    try:
        await db.execute(text("SELECT 1"))
    except Exception:
        return Response(
            HealthOut(health="red", database="red").model_dump_json(),
            status_code=500,
            media_type="application/json",
        )
    return HealthOut(health="green", database="green")


@router.get(f"/{icon.PATH}", summary="Gotify: the applications' image")
async def default_app_image() -> Response:
    return Response(
        icon.DEFAULT_APP_PNG,
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


# Gotify's other paths (users, passwords, images, plugins, per-application messages): a 404 in
# Gotify's shape rather than the web UI's page. Registered after every route above, so those
# match first.
_UNSUPPORTED = "not supported by WakeDock's Gotify API (docs/compat.md)"
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


async def _unsupported() -> Response:
    raise NotFound(_UNSUPPORTED)


for _path in (
    "/application/{rest:path}",
    "/client/{rest:path}",
    "/current/{rest:path}",
    "/message/{rest:path}",
    "/user",
    "/user/{rest:path}",
    "/plugin",
    "/plugin/{rest:path}",
    "/image/{rest:path}",
):
    router.add_api_route(_path, _unsupported, methods=_METHODS, summary="Gotify: not supported")
