"""/api/integrations: the admin's CRUD of integrations and their recent deliveries
(notifications:admin; every write audited by the service)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.bounds import IdParam
from wakedock.dependencies import AppSettings, DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.integrations import deliveries, service
from wakedock.integrations.models import Integration
from wakedock.integrations.schemas import (
    HookTemplates,
    IntegrationCreated,
    IntegrationDeliveryOut,
    IntegrationIn,
    IntegrationOut,
    IntegrationPatch,
    Kind,
    Target,
)
from wakedock.notifications.dependencies import NotificationsAdmin
from wakedock.notifications.templates.dependencies import RENDERERS_BUSY, Renderer

router = APIRouter(
    prefix="/api/integrations",
    tags=["integrations"],
    responses={**ERROR_RESPONSES, **RENDERERS_BUSY},
)


def url_of(row: Integration) -> str:
    """Where the integration's sender posts (a path on this server)."""
    if row.kind in (Kind.ALERTMANAGER, Kind.GRAFANA):
        return f"/api/integrations/{row.kind}"
    if row.kind == Kind.GITHUB:
        return f"/api/integrations/github/{row.id}"
    return f"/api/hooks/{row.id}"


def to_out(row: Integration) -> IntegrationOut:
    templates = row.config.get("templates")
    return IntegrationOut(
        id=row.id,
        kind=Kind(row.kind),
        name=row.name,
        target=Target.model_validate(row.target),
        is_active=row.is_active,
        url=url_of(row),
        signature_header=row.config.get("signature_header"),
        templates=HookTemplates.model_validate(templates) if templates else None,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("", summary="List integrations")
async def list_integrations(_: NotificationsAdmin, db: DbSession) -> list[IntegrationOut]:
    return [to_out(row) for row in await service.list_all(db)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an integration (its token or secret is shown in this answer only)",
)
async def create_integration(
    body: IntegrationIn,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    settings: AppSettings,
    renderer: Renderer,
) -> IntegrationCreated:
    row, token, secret = await service.create(
        db, actor=admin.acting(meta), data=body, keyring=settings.keyring, renderer=renderer
    )
    return IntegrationCreated(**to_out(row).model_dump(), token=token, secret=secret)


@router.get("/{integration_id:int}", summary="Get an integration")
async def get_integration(
    integration_id: IdParam, _: NotificationsAdmin, db: DbSession
) -> IntegrationOut:
    return to_out(await service.get_or_raise(db, integration_id=integration_id))


@router.patch("/{integration_id:int}", summary="Change an integration")
async def patch_integration(
    integration_id: IdParam,
    body: IntegrationPatch,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    renderer: Renderer,
) -> IntegrationOut:
    row = await service.update(
        db,
        actor=admin.acting(meta),
        integration_id=integration_id,
        data=body,
        renderer=renderer,
    )
    return to_out(row)


@router.delete(
    "/{integration_id:int}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an integration"
)
async def delete_integration(
    integration_id: IdParam, admin: NotificationsAdmin, db: DbSession, meta: RequestMeta
) -> Response:
    await service.delete(db, actor=admin.acting(meta), integration_id=integration_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{integration_id:int}/deliveries",
    summary="The integration's recent deliveries, newest first (raw payloads, bounded)",
)
async def list_deliveries(
    integration_id: IdParam, _: NotificationsAdmin, db: DbSession
) -> list[IntegrationDeliveryOut]:
    await service.get_or_raise(db, integration_id=integration_id)
    rows = await deliveries.recent(db, integration_id=integration_id)
    return [IntegrationDeliveryOut.model_validate(r) for r in rows]
