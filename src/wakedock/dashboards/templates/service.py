"""Dashboard templates: the built-in ones, and those users save from their layouts.

A template is visible to its owner, to everyone once published (dashboards:admin), and
built-in ones to all. Applying one creates a new layout and counts the use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.dashboards import service as layouts
from wakedock.dashboards.models import DashboardLayout, DashboardTemplate
from wakedock.dashboards.templates.builtins import BUILTIN_TEMPLATES
from wakedock.db.base import utcnow
from wakedock.errors import Conflict, Forbidden, NotFound

MAX_TEMPLATES_PER_USER = 100


async def ensure_builtins(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Create or refresh the built-in templates from the code (their usage counts stay)."""
    async with sessionmaker() as session:
        rows = (
            await session.scalars(select(DashboardTemplate).where(DashboardTemplate.builtin))
        ).all()
        by_key = {row.key: row for row in rows}
        for spec in BUILTIN_TEMPLATES:
            row = by_key.get(spec["key"])
            if row is None:
                session.add(DashboardTemplate(builtin=True, is_public=True, **spec))
            elif (row.name, row.description, row.category, row.widgets) != (
                spec["name"],
                spec["description"],
                spec["category"],
                spec["widgets"],
            ):
                row.name, row.description = spec["name"], spec["description"]
                row.category, row.widgets = spec["category"], spec["widgets"]
                row.updated_at = utcnow()
            try:
                await session.commit()
            except IntegrityError:  # another process did it first
                await session.rollback()


def _visible(user_id: int) -> Any:
    return or_(
        DashboardTemplate.builtin.is_(True),
        DashboardTemplate.is_public.is_(True),
        DashboardTemplate.owner_id == user_id,
    )


async def list_templates(session: AsyncSession, *, user_id: int) -> Sequence[DashboardTemplate]:
    query = (
        select(DashboardTemplate)
        .where(_visible(user_id))
        .order_by(DashboardTemplate.builtin.desc(), DashboardTemplate.name, DashboardTemplate.id)
    )
    return (await session.scalars(query)).all()


async def get_visible_or_raise(
    session: AsyncSession, *, user_id: int, template_id: int
) -> DashboardTemplate:
    template = (
        await session.scalars(
            select(DashboardTemplate).where(DashboardTemplate.id == template_id, _visible(user_id))
        )
    ).first()
    if template is None:
        raise NotFound("Template not found")
    return template


def _need_admin(is_admin: bool, what: str) -> None:
    if not is_admin:
        raise Forbidden(
            f"{what} needs dashboards:admin",
            code="missing_permission",
            details={"missing": ["dashboards:admin"]},
        )


async def create_from_layout(
    session: AsyncSession,
    *,
    actor: AuditActor,
    layout: DashboardLayout,
    name: str,
    description: str,
    category: str,
    is_public: bool,
    is_admin: bool,
) -> DashboardTemplate:
    if is_public:
        _need_admin(is_admin, "Publishing a template to everyone")
    count = await session.scalar(
        select(func.count())
        .select_from(DashboardTemplate)
        .where(DashboardTemplate.owner_id == layout.user_id)
    )
    if int(count or 0) >= MAX_TEMPLATES_PER_USER:
        raise Conflict(f"You already have {MAX_TEMPLATES_PER_USER} templates", code="limit_reached")
    template = DashboardTemplate(
        owner_id=layout.user_id,
        name=name,
        description=description,
        category=category,
        is_public=is_public,
        columns=layout.columns,
        row_height=layout.row_height,
        gap=layout.gap,
        widgets=layouts.widget_specs(layout),
    )
    session.add(template)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_TEMPLATE_CREATE,
        resource_type="dashboard_template",
        resource_id=template.id,
        details={"name": name, "from_layout_id": layout.id, "is_public": is_public},
    )
    await session.commit()
    return template


async def get_editable_or_raise(
    session: AsyncSession, *, user_id: int, template_id: int, is_admin: bool
) -> DashboardTemplate:
    """Own templates; published ones too for dashboards:admin. Built-in ones are read-only."""
    template = await get_visible_or_raise(session, user_id=user_id, template_id=template_id)
    if template.builtin:
        raise Conflict("Built-in templates cannot be changed", code="builtin_template")
    if template.owner_id != user_id:
        _need_admin(is_admin, "Changing someone else's published template")
    return template


async def update_template(
    session: AsyncSession,
    *,
    actor: AuditActor,
    template: DashboardTemplate,
    changes: dict[str, Any],
    is_admin: bool,
) -> DashboardTemplate:
    if changes.get("is_public") is True and not template.is_public:
        _need_admin(is_admin, "Publishing a template to everyone")
    changed = sorted(k for k, v in changes.items() if getattr(template, k) != v)
    for key in changed:
        setattr(template, key, changes[key])
    if changed:
        template.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.DASHBOARD_TEMPLATE_UPDATE,
            resource_type="dashboard_template",
            resource_id=template.id,
            details={"changed": changed, "is_public": template.is_public},
        )
        await session.commit()
    return template


async def delete_template(
    session: AsyncSession, *, actor: AuditActor, template: DashboardTemplate
) -> None:
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_TEMPLATE_DELETE,
        resource_type="dashboard_template",
        resource_id=template.id,
        details={"name": template.name, "owner_id": template.owner_id},
    )
    await session.delete(template)
    await session.commit()


async def apply(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    template: DashboardTemplate,
    name: str,
) -> DashboardLayout:
    """A new layout of the user's, built from the template; the template's use is counted."""
    await session.execute(
        update(DashboardTemplate)
        .where(DashboardTemplate.id == template.id)
        .values(usage_count=DashboardTemplate.usage_count + 1)
    )
    return await layouts.create_layout(
        session,
        actor=actor,
        user_id=user_id,
        name=name,
        description=template.description,
        columns=template.columns,
        row_height=template.row_height,
        gap=template.gap,
        widgets=list(template.widgets),
        action=AuditAction.DASHBOARD_TEMPLATE_APPLY,
        audit_details={"template_id": template.id, "template": template.name},
    )
