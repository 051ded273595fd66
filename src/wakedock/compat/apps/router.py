"""/api/compat: the web UI's Connected apps page (WakeDock's session, errors and OpenAPI).

The Gotify routes at the root take the same session too, but answer in Gotify's shape and are
not in the OpenAPI document the UI's client is generated from; these routes call the same
services (``compat.gotify.applications``/``clients``), so every write is audited the same way.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wakedock.auth.dependencies import AccountManager, RequestMeta
from wakedock.bounds import IdParam
from wakedock.compat.apps import service
from wakedock.compat.apps.schemas import (
    ConnectedApps,
    GotifyApplicationCreate,
    GotifyApplicationCreated,
    GotifyApplicationOut,
    GotifyApplicationUpdate,
    GotifyClientCreate,
    GotifyClientCreated,
    GotifyClientOut,
    NtfyTokenCreate,
    NtfyTokenCreated,
    NtfyTokenOut,
)
from wakedock.compat.gotify import applications, clients
from wakedock.compat.gotify.models import GotifyApplication, GotifyClient
from wakedock.dependencies import AppBroker, DbSession
from wakedock.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/compat", tags=["connected apps"], responses=ERROR_RESPONSES)


def _application(app: GotifyApplication, token: service.Token) -> GotifyApplicationOut:
    return GotifyApplicationOut(
        id=app.id,
        name=app.name,
        description=app.description,
        default_priority=app.default_priority,
        topic=app.topic,
        token_prefix=token.prefix,
        created_at=app.created_at,
        last_used_at=token.last_used_at,
    )


def _settings(
    body: GotifyApplicationCreate | GotifyApplicationUpdate, *, topic: str | None
) -> applications.Settings:
    return applications.Settings(
        name=body.name,
        description=body.description,
        default_priority=body.default_priority,
        topic=topic,
    )


def _client(client: GotifyClient, token: service.Token) -> GotifyClientOut:
    return GotifyClientOut(
        id=client.id,
        name=client.name,
        token_prefix=token.prefix,
        created_at=client.created_at,
        last_used_at=token.last_used_at,
    )


def _ntfy(token: service.Token) -> NtfyTokenOut:
    return NtfyTokenOut(
        id=token.id,
        name=service.ntfy_label(token.name) or token.name,
        prefix=token.prefix,
        scopes=token.scopes,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )


@router.get("/apps", summary="Your Gotify applications and clients and ntfy access tokens")
async def list_connected_apps(principal: AccountManager, db: DbSession) -> ConnectedApps:
    found = await service.listing(db, user_id=principal.user_id)
    return ConnectedApps(
        gotify_applications=[_application(a, t) for a, t in found.applications],
        gotify_clients=[_client(c, t) for c, t in found.clients],
        ntfy_tokens=[_ntfy(t) for t in found.ntfy_tokens],
    )


@router.post(
    "/gotify/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Create a Gotify application; its token is shown only once",
)
async def create_gotify_application(
    body: GotifyApplicationCreate, principal: AccountManager, db: DbSession, meta: RequestMeta
) -> GotifyApplicationCreated:
    app, plain = await applications.create(
        db,
        principal=principal,
        actor=principal.acting(meta),
        settings=_settings(body, topic=body.topic),
    )
    token = await service.token_of(db, user_id=principal.user_id, token_id=app.api_token_id)
    return GotifyApplicationCreated(**_application(app, token).model_dump(), token=plain)


@router.put(
    "/gotify/applications/{app_id}",
    summary="Rename or edit a Gotify application (its topic binding stays)",
)
async def update_gotify_application(
    app_id: IdParam,
    body: GotifyApplicationUpdate,
    principal: AccountManager,
    db: DbSession,
    meta: RequestMeta,
) -> GotifyApplicationOut:
    current = await applications.get_own(db, user_id=principal.user_id, app_id=app_id)
    app = await applications.update(
        db,
        principal=principal,
        actor=principal.acting(meta),
        app_id=app_id,
        settings=_settings(body, topic=current.topic),
    )
    token = await service.token_of(db, user_id=principal.user_id, token_id=app.api_token_id)
    return _application(app, token)


@router.delete(
    "/gotify/applications/{app_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a Gotify application and revoke its token",
)
async def delete_gotify_application(
    app_id: IdParam, principal: AccountManager, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> Response:
    await applications.delete(
        db, principal=principal, actor=principal.acting(meta), app_id=app_id, broker=broker
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/gotify/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Create a Gotify client token (for the Gotify Android app or CLI); shown only once",
)
async def create_gotify_client(
    body: GotifyClientCreate, principal: AccountManager, db: DbSession, meta: RequestMeta
) -> GotifyClientCreated:
    client, plain = await clients.create(
        db, principal=principal, actor=principal.acting(meta), name=body.name
    )
    token = await service.token_of(db, user_id=principal.user_id, token_id=client.api_token_id)
    return GotifyClientCreated(**_client(client, token).model_dump(), token=plain)


@router.delete(
    "/gotify/clients/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a Gotify client (a signed-in phone app) and revoke its token",
)
async def delete_gotify_client(
    client_id: IdParam,
    principal: AccountManager,
    db: DbSession,
    meta: RequestMeta,
    broker: AppBroker,
) -> Response:
    await clients.delete(
        db, principal=principal, actor=principal.acting(meta), client_id=client_id, broker=broker
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/ntfy/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create an ntfy access token; it is shown only once",
)
async def create_ntfy_token(
    body: NtfyTokenCreate, principal: AccountManager, db: DbSession, meta: RequestMeta
) -> NtfyTokenCreated:
    token, plain = await service.create_ntfy_token(
        db,
        principal=principal,
        actor=principal.acting(meta),
        name=body.name,
        scopes=service.ntfy_scopes(publish=body.publish, subscribe=body.subscribe),
    )
    return NtfyTokenCreated(**_ntfy(token).model_dump(), token=plain)


@router.delete(
    "/ntfy/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an ntfy access token",
)
async def delete_ntfy_token(
    token_id: IdParam,
    principal: AccountManager,
    db: DbSession,
    meta: RequestMeta,
    broker: AppBroker,
) -> Response:
    await service.delete_ntfy_token(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        token_id=token_id,
        broker=broker,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
