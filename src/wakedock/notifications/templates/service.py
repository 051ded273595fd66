"""Notification templates: CRUD by unique name, sandboxed rendering, preview.

Every render goes through the renderer pool (``pool.py``: subprocesses, a deadline, memory and
output limits). Saving a template (create, replace, change) runs a trial render of the parts
it sets under the same limits, with no variables (an undefined name is empty there), so a
template that is too slow or too large on its own (a loop of 10^10 steps) is refused when
saved, not found out when sent. What depends on the variables is caught at every render.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.errors import Conflict, NotFound, ValidationFailed
from wakedock.notifications.models import NotificationTemplate
from wakedock.notifications.templates.pool import Part, TemplateRenderer
from wakedock.notifications.templates.schemas import (
    Rendered,
    TemplateDraft,
    TemplateIn,
    TemplatePatch,
)

_SOURCES = (
    ("title_template", False),
    ("message_template", False),
    ("action_url_template", False),
    ("email_subject_template", False),
    ("email_html_template", True),
)


def _parts(values: dict[str, Any]) -> list[Part]:
    return [Part(field, values[field], html) for field, html in _SOURCES if values.get(field)]


async def _check(renderer: TemplateRenderer, values: dict[str, Any]) -> None:
    """The trial render of a template being saved: syntax, time, output and memory limits."""
    await renderer.render(_parts(values), {}, strict=False)


def _row(values: dict[str, Any]) -> NotificationTemplate:
    return NotificationTemplate(
        **{k: (str(v) if k in ("type", "priority") else v) for k, v in values.items()}
    )


async def list_templates(session: AsyncSession) -> Sequence[NotificationTemplate]:
    return (
        await session.scalars(select(NotificationTemplate).order_by(NotificationTemplate.name))
    ).all()


async def get_or_raise(session: AsyncSession, *, name: str) -> NotificationTemplate:
    row = (
        await session.scalars(select(NotificationTemplate).where(NotificationTemplate.name == name))
    ).first()
    if row is None:
        raise NotFound(f"Template {name!r} not found", code="template_not_found")
    return row


async def create(
    session: AsyncSession, *, actor: AuditActor, data: TemplateIn, renderer: TemplateRenderer
) -> NotificationTemplate:
    values = data.model_dump()
    await _check(renderer, values)
    if (
        await session.scalars(
            select(NotificationTemplate.id).where(NotificationTemplate.name == data.name)
        )
    ).first():
        raise Conflict(f"A template named {data.name!r} exists", code="template_exists")
    row = _row(values)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"A template named {data.name!r} exists", code="template_exists") from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.TEMPLATE_CREATE,
        resource_type="notification_template",
        resource_id=row.name,
    )
    await session.commit()
    return row


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    name: str,
    changes: TemplatePatch | TemplateIn,
    renderer: TemplateRenderer,
) -> NotificationTemplate:
    row = await get_or_raise(session, name=name)
    values = changes.model_dump(exclude_unset=isinstance(changes, TemplatePatch))
    values.pop("name", None)
    await _check(renderer, values)
    for key, value in values.items():
        if key in ("type", "priority"):
            if value is None:
                continue
            value = str(value)
        if key == "title_template" and value is None:
            continue
        if key == "message_template" and value is None:
            value = ""
        setattr(row, key, value)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.TEMPLATE_UPDATE,
        resource_type="notification_template",
        resource_id=name,
        details={"fields": sorted(values)},
    )
    await session.commit()
    await session.refresh(row)
    return row


async def delete(session: AsyncSession, *, actor: AuditActor, name: str) -> None:
    row = await get_or_raise(session, name=name)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.TEMPLATE_DELETE,
        resource_type="notification_template",
        resource_id=name,
    )
    await session.delete(row)
    await session.commit()


async def render_draft(
    renderer: TemplateRenderer, draft: TemplateDraft, variables: dict[str, Any]
) -> Rendered:
    """Render an unsaved template (the editor's live preview); any problem is a 422."""
    return await render_template(renderer, _row(draft.model_dump()), variables)


async def render_template(
    renderer: TemplateRenderer, row: NotificationTemplate, variables: dict[str, Any]
) -> Rendered:
    """Render every part of a template; any problem is a 422 naming the part."""
    parts = _parts({field: getattr(row, field) for field, _ in _SOURCES})
    text = await renderer.render(parts, variables)
    title = text.get("title_template", "")
    if not title.strip():
        raise ValidationFailed("title_template rendered an empty title", field="body.variables")
    return Rendered(
        title=title[:255],
        message=text.get("message_template", ""),
        action_url=text.get("action_url_template"),
        email_subject=text.get("email_subject_template"),
        email_html=text.get("email_html_template"),
        type=row.type,
        priority=row.priority,
        ttl_seconds=row.default_ttl_seconds,
    )
