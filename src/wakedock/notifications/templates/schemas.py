from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from wakedock.bounds import JsonObject
from wakedock.notifications.schemas import NotificationType, Priority

# "preview" is a path of its own (POST /api/notifications/templates/preview), never a name.
RESERVED_NAMES = frozenset({"preview"})


def _not_reserved(name: str) -> str:
    if name in RESERVED_NAMES:
        raise ValueError(f"{name!r} is reserved")
    return name


TemplateName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
    AfterValidator(_not_reserved),
]
# The ceiling; WAKEDOCK_TEMPLATE_MAX_SOURCE_CHARS (default 50,000) is the limit applied.
Source = Annotated[str, StringConstraints(max_length=1_000_000)]


class TemplateDraft(BaseModel):
    """The parts of a template that rendering uses (a draft can be previewed before saving)."""

    model_config = ConfigDict(extra="forbid")

    type: NotificationType = NotificationType.INFO
    priority: Priority = Priority.NORMAL
    title_template: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    message_template: Source = ""
    action_url_template: Source | None = None
    email_subject_template: Source | None = None
    email_html_template: Source | None = None
    default_ttl_seconds: Annotated[int, Strict(), Field(ge=1, le=366 * 86400)] | None = None


class TemplateIn(TemplateDraft):
    name: TemplateName
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    type: NotificationType | None = None
    priority: Priority | None = None
    title_template: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    message_template: Source | None = None
    action_url_template: Source | None = None
    email_subject_template: Source | None = None
    email_html_template: Source | None = None
    default_ttl_seconds: Annotated[int, Strict(), Field(ge=1, le=366 * 86400)] | None = None


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    type: str
    priority: str
    title_template: str
    message_template: str
    action_url_template: str | None
    email_subject_template: str | None
    email_html_template: str | None
    default_ttl_seconds: int | None
    created_at: datetime
    updated_at: datetime


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: JsonObject = Field(default_factory=dict)


class DraftPreviewRequest(PreviewRequest):
    template: TemplateDraft


class Rendered(BaseModel):
    title: str
    message: str
    action_url: str | None = None
    email_subject: str | None = None
    email_html: str | None = None
    type: str
    priority: str
    ttl_seconds: int | None = None
