"""/api/dashboards/templates: built-in and saved dashboard templates."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.auth.permissions import Permission
from wakedock.bounds import IdParam
from wakedock.dashboards import service
from wakedock.dashboards.dependencies import Reader, Writer
from wakedock.dashboards.models import DashboardTemplate
from wakedock.dashboards.schemas import Grid, LayoutOut
from wakedock.dashboards.shapes import layout_out
from wakedock.dashboards.templates import service as templates
from wakedock.dashboards.templates.schemas import (
    ApplyTemplate,
    TemplateCreate,
    TemplateList,
    TemplateOut,
    TemplateSummary,
    TemplateUpdate,
    TemplateWidget,
)
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/dashboards/templates", tags=["dashboards"], responses=ERROR_RESPONSES
)


def _summary(template: DashboardTemplate, user_id: int) -> dict[str, object]:
    return {
        "id": template.id,
        "key": template.key,
        "name": template.name,
        "description": template.description,
        "category": template.category,
        "builtin": template.builtin,
        "is_public": template.is_public,
        "owner_id": template.owner_id,
        "mine": template.owner_id == user_id,
        "grid": Grid(columns=template.columns, row_height=template.row_height, gap=template.gap),
        "widget_count": len(template.widgets),
        "widget_types": sorted({str(w["type"]) for w in template.widgets}),
        "usage_count": template.usage_count,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def template_out(template: DashboardTemplate, user_id: int) -> TemplateOut:
    return TemplateOut(
        **_summary(template, user_id),
        widgets=[TemplateWidget.model_validate(w) for w in template.widgets],
    )


@router.get("", summary="Templates you can use: built-in, published, and your own")
async def list_templates(principal: Reader, db: DbSession) -> TemplateList:
    rows = await templates.list_templates(db, user_id=principal.user_id)
    return TemplateList(items=[TemplateSummary(**_summary(r, principal.user_id)) for r in rows])


@router.get("/{template_id:int}", summary="One template with its widgets")
async def get_template(template_id: IdParam, principal: Reader, db: DbSession) -> TemplateOut:
    template = await templates.get_visible_or_raise(
        db, user_id=principal.user_id, template_id=template_id
    )
    return template_out(template, principal.user_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Save one of your dashboards as a template (is_public needs dashboards:admin)",
)
async def create_template(
    body: TemplateCreate, principal: Writer, db: DbSession, meta: RequestMeta
) -> TemplateOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=body.layout_id)
    template = await templates.create_from_layout(
        db,
        actor=principal.acting(meta),
        layout=layout,
        name=body.name,
        description=body.description,
        category=body.category,
        is_public=body.is_public,
        is_admin=principal.has(Permission.DASHBOARDS_ADMIN),
    )
    return template_out(template, principal.user_id)


@router.patch(
    "/{template_id:int}",
    summary="Change your template, or (dashboards:admin) publish or unpublish one",
)
async def update_template(
    template_id: IdParam, body: TemplateUpdate, principal: Writer, db: DbSession, meta: RequestMeta
) -> TemplateOut:
    is_admin = principal.has(Permission.DASHBOARDS_ADMIN)
    template = await templates.get_editable_or_raise(
        db, user_id=principal.user_id, template_id=template_id, is_admin=is_admin
    )
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    template = await templates.update_template(
        db, actor=principal.acting(meta), template=template, changes=changes, is_admin=is_admin
    )
    return template_out(template, principal.user_id)


@router.delete(
    "/{template_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your template (dashboards:admin: any published one)",
)
async def delete_template(
    template_id: IdParam, principal: Writer, db: DbSession, meta: RequestMeta
) -> Response:
    template = await templates.get_editable_or_raise(
        db,
        user_id=principal.user_id,
        template_id=template_id,
        is_admin=principal.has(Permission.DASHBOARDS_ADMIN),
    )
    await templates.delete_template(db, actor=principal.acting(meta), template=template)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{template_id:int}/apply",
    status_code=status.HTTP_201_CREATED,
    summary="Create a new dashboard of yours from a template",
)
async def apply_template(
    template_id: IdParam, body: ApplyTemplate, principal: Writer, db: DbSession, meta: RequestMeta
) -> LayoutOut:
    template = await templates.get_visible_or_raise(
        db, user_id=principal.user_id, template_id=template_id
    )
    layout = await templates.apply(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        template=template,
        name=body.name,
    )
    return await layout_out(db, layout)
