"""/api/notifications/templates: message templates (notifications:admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications.dependencies import NotificationsAdmin
from wakedock.notifications.templates import service
from wakedock.notifications.templates.dependencies import RENDERERS_BUSY, Renderer
from wakedock.notifications.templates.schemas import (
    DraftPreviewRequest,
    PreviewRequest,
    Rendered,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)

router = APIRouter(
    prefix="/api/notifications/templates",
    tags=["templates"],
    responses={**ERROR_RESPONSES, **RENDERERS_BUSY},
)


@router.get("", summary="List templates")
async def list_templates(_: NotificationsAdmin, db: DbSession) -> list[TemplateOut]:
    return [TemplateOut.model_validate(t) for t in await service.list_templates(db)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a template")
async def create_template(
    body: TemplateIn,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    renderer: Renderer,
) -> TemplateOut:
    return TemplateOut.model_validate(
        await service.create(db, actor=admin.acting(meta), data=body, renderer=renderer)
    )


@router.post("/preview", summary="Render an unsaved template (the editor's live preview)")
async def preview_draft(
    body: DraftPreviewRequest, _: NotificationsAdmin, renderer: Renderer
) -> Rendered:
    return await service.render_draft(renderer, body.template, body.variables)


@router.get("/{name}", summary="Get a template by name")
async def get_template(name: str, _: NotificationsAdmin, db: DbSession) -> TemplateOut:
    return TemplateOut.model_validate(await service.get_or_raise(db, name=name))


@router.put("/{name}", summary="Replace a template")
async def put_template(
    name: str,
    body: TemplateIn,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    renderer: Renderer,
) -> TemplateOut:
    return TemplateOut.model_validate(
        await service.update(
            db, actor=admin.acting(meta), name=name, changes=body, renderer=renderer
        )
    )


@router.patch("/{name}", summary="Change part of a template")
async def patch_template(
    name: str,
    body: TemplatePatch,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    renderer: Renderer,
) -> TemplateOut:
    return TemplateOut.model_validate(
        await service.update(
            db, actor=admin.acting(meta), name=name, changes=body, renderer=renderer
        )
    )


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a template")
async def delete_template(
    name: str, admin: NotificationsAdmin, db: DbSession, meta: RequestMeta
) -> Response:
    await service.delete(db, actor=admin.acting(meta), name=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/preview", summary="Render a template with the given variables")
async def preview_template(
    name: str, body: PreviewRequest, _: NotificationsAdmin, db: DbSession, renderer: Renderer
) -> Rendered:
    row = await service.get_or_raise(db, name=name)
    return await service.render_template(renderer, row, body.variables)
