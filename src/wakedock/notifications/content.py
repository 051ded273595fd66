"""What a notification says: the request's own fields, or its named template's, rendered.

One rule for every sender (a create and a broadcast): with a template, the rendered parts are
the content and the request's ``type``, ``priority``, ``action_url`` and ``ttl_seconds``
override the template's when given; without one, ``title`` is required (the request models
check it), ``message`` defaults to "", ``type`` to info and ``priority`` to normal. What the
sender then does with the time to live (an expiry checked against now, a stored offset) stays
with the sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.notifications.schemas import NotificationType, Priority
from wakedock.notifications.templates import service as templates
from wakedock.notifications.templates.pool import TemplateRenderer
from wakedock.notifications.templates.schemas import Rendered


class ContentFields(Protocol):
    """The content fields a create and a broadcast share (their request models)."""

    @property
    def title(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def template(self) -> str | None: ...
    @property
    def variables(self) -> dict[str, Any]: ...
    @property
    def type(self) -> NotificationType | None: ...
    @property
    def priority(self) -> Priority | None: ...
    @property
    def action_url(self) -> str | None: ...
    @property
    def ttl_seconds(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Resolved:
    """The content of a request, its template (if any) applied."""

    title: str
    message: str
    type: str
    priority: str
    action_url: str | None
    ttl_seconds: int | None
    email_subject: str | None = None
    email_html: str | None = None


async def render_named(
    session: AsyncSession, *, body: ContentFields, renderer: TemplateRenderer | None
) -> Rendered | None:
    """The template the request names, rendered with its variables (None: it names none)."""
    if body.template is None:
        return None
    if renderer is None:
        raise RuntimeError("rendering a template needs the app's renderer")
    row = await templates.get_or_raise(session, name=body.template)
    return await templates.render_template(renderer, row, body.variables)


def resolve(body: ContentFields, rendered: Rendered | None) -> Resolved:
    """The request's content: ``rendered`` is its template's (None when it names none)."""
    kind = body.type.value if body.type else None
    priority = body.priority.value if body.priority else None
    if rendered is not None:
        return Resolved(
            title=rendered.title,
            message=rendered.message,
            type=kind or rendered.type,
            priority=priority or rendered.priority,
            action_url=body.action_url or rendered.action_url,
            ttl_seconds=body.ttl_seconds if body.ttl_seconds is not None else rendered.ttl_seconds,
            email_subject=rendered.email_subject,
            email_html=rendered.email_html,
        )
    assert body.title is not None  # the request models require a title without a template
    return Resolved(
        title=body.title,
        message=body.message or "",
        type=kind or NotificationType.INFO.value,
        priority=priority or Priority.NORMAL.value,
        action_url=body.action_url,
        ttl_seconds=body.ttl_seconds,
    )


async def resolve_content(
    session: AsyncSession,
    *,
    body: ContentFields,
    renderer: TemplateRenderer | None,
    rendered: Rendered | None = None,
) -> Resolved:
    """Render the named template (unless ``rendered`` is given) and resolve the content."""
    if body.template is not None and rendered is None:
        rendered = await render_named(session, body=body, renderer=renderer)
    return resolve(body, rendered if body.template is not None else None)
