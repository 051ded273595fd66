"""Generic hooks: an admin's sandboxed templates map any signed JSON body to a notification.

Each part (``title``, ``message``, ``type``, ``priority``, ``action_url``, ``group_key``) is
a template of the notifications' sandbox (``notifications.templates``: rendered in the
renderer subprocesses, under their deadline and memory limits), with the parsed body as
``payload``: ``{{ payload.alert.name }}``. A part that fails on a payload (a missing key, a
type or priority that is not one of the allowed values, an empty title) is a 422 whose
message names the part; the delivery is kept with the raw body so the admin can see why.
"""

from __future__ import annotations

from typing import Any

from wakedock.errors import ValidationFailed
from wakedock.integrations.items import (
    KEY_MAX,
    MESSAGE_MAX,
    TITLE_MAX,
    Item,
    clip,
    web_url,
)
from wakedock.notifications.schemas import NotificationType, Priority
from wakedock.notifications.templates.pool import Part, TemplateRenderer

PARTS = ("title", "message", "type", "priority", "action_url", "group_key")


def parts(templates: dict[str, str]) -> list[Part]:
    return [Part(name, templates[name]) for name in PARTS if templates.get(name)]


async def check(renderer: TemplateRenderer, templates: dict[str, str]) -> None:
    """The trial render of templates being saved: syntax, time, output and memory limits."""
    await renderer.render(parts(templates), {}, strict=False)


def _one_of(name: str, value: str, allowed: type[NotificationType] | type[Priority]) -> str:
    value = value.strip().lower()
    if value not in {m.value for m in allowed}:
        choices = ", ".join(m.value for m in allowed)
        raise ValidationFailed(
            f"{name}: rendered {clip(value, 40)!r}, not one of {choices}", field=f"hook.{name}"
        )
    return value


async def render(
    renderer: TemplateRenderer, templates: dict[str, str], payload: Any, *, integration_id: int
) -> Item:
    """The notification the hook's templates make of ``payload`` (422 naming a failing part)."""
    try:
        text = await renderer.render(parts(templates), {"payload": payload})
    except ValidationFailed as exc:  # "title: missing variable: ..." names the part already
        part = exc.message.split(":", 1)[0]
        field = f"hook.{part}" if part in PARTS else "hook.templates"
        raise ValidationFailed(exc.message, field=field) from None
    title = text.get("title", "").strip()
    if not title:
        raise ValidationFailed("title: rendered an empty title", field="hook.title")
    kind = text.get("type", "").strip()
    level = text.get("priority", "").strip()
    key = text.get("group_key", "").strip()
    url = text.get("action_url", "").strip()
    if url and web_url(url) is None:
        raise ValidationFailed(
            "action_url: rendered something that is not an http(s) URL", field="hook.action_url"
        )
    return Item(
        title=clip(title, TITLE_MAX),
        message=clip(text.get("message", ""), MESSAGE_MAX),
        type=_one_of("type", kind, NotificationType) if kind else NotificationType.INFO.value,
        priority=_one_of("priority", level, Priority) if level else Priority.NORMAL.value,
        action_url=url or None,
        group_key=f"hook:{integration_id}:{clip(key, KEY_MAX)}"[:KEY_MAX] if key else None,
        data={"source": "hook"},
    )
