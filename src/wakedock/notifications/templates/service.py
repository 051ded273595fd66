"""Notification templates: CRUD by unique name, sandboxed rendering, preview."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.context import AuditActor
from wakedock.errors import Conflict, NotFound
from wakedock.notifications.models import NotificationTemplate
from wakedock.notifications.templates.rendering import check_syntax, render
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


def _check(values: dict[str, Any]) -> None:
    for field, html in _SOURCES:
        if values.get(field):
            check_syntax(values[field], field=field, html=html)


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
    session: AsyncSession, *, actor: AuditActor, data: TemplateIn
) -> NotificationTemplate:
    values = data.model_dump()
    _check(values)
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
        action="template.create",
        resource_type="notification_template",
        resource_id=row.name,
    )
    await session.commit()
    return row


async def update(
    session: AsyncSession, *, actor: AuditActor, name: str, changes: TemplatePatch | TemplateIn
) -> NotificationTemplate:
    row = await get_or_raise(session, name=name)
    values = changes.model_dump(exclude_unset=isinstance(changes, TemplatePatch))
    values.pop("name", None)
    _check(values)
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
        action="template.update",
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
        action="template.delete",
        resource_type="notification_template",
        resource_id=name,
    )
    await session.delete(row)
    await session.commit()


def render_draft(draft: TemplateDraft, variables: dict[str, Any]) -> Rendered:
    """Render an unsaved template: syntax first (422 naming the part), then the variables."""
    values = draft.model_dump()
    _check(values)
    return render_template(_row(values), variables)


def render_template(row: NotificationTemplate, variables: dict[str, Any]) -> Rendered:
    """Render every part of a template; any problem is a 422 naming the part."""

    def part(field: str, html: bool = False) -> str | None:
        source = getattr(row, field)
        return render(source, variables, field=field, html=html) if source else None

    title = part("title_template") or ""
    if not title.strip():
        from wakedock.errors import ValidationFailed

        raise ValidationFailed("title_template rendered an empty title", field="body.variables")
    return Rendered(
        title=title[:255],
        message=part("message_template") or "",
        action_url=part("action_url_template"),
        email_subject=part("email_subject_template"),
        email_html=part("email_html_template", html=True),
        type=row.type,
        priority=row.priority,
        ttl_seconds=row.default_ttl_seconds,
    )
