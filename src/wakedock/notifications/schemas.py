"""Request and response bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from wakedock.bounds import DateTime, Id, JsonObject, StrictBool, json_depth_error


class NotificationType(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    SUCCESS = "success"
    SYSTEM = "system"
    SECURITY = "security"
    DEPLOYMENT = "deployment"
    MONITORING = "monitoring"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


def priority_rank(value: str) -> int:
    """``Priority(value).rank`` without making the member: a dict lookup (a member is equal to
    its value); an unknown value still raises ``Priority``'s ValueError."""
    rank = _PRIORITY_RANK.get(value)  # type: ignore[call-overload]
    return Priority(value).rank if rank is None else rank


Title = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Message = Annotated[str, StringConstraints(max_length=10_000)]
Topic = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/-]+$")]
ResourceId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ChannelName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Deeper than pydantic can serialise (255 levels, with the envelope's own) is never shown.
OUTPUT_MAX_DEPTH = 200
# The validation context of ``NotificationOut`` for a notification this process has just
# created (``events.created``): its ``data`` is within the input bounds, so servable.
JUST_CREATED: Final = {"just_created": True}


class StoredNotification(Protocol):
    """A stored notification as the domain hands it out (``service``'s reads, ``stream``'s
    replay, ``sending``'s creates): read-only. Other domains name this type, never the table's
    class, so the table stays the notifications domain's own (an import-linter contract)."""

    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def action_url(self) -> str | None: ...
    @property
    def action_label(self) -> str | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def resource_id(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def group_key(self) -> str | None: ...
    @property
    def read(self) -> bool: ...
    @property
    def read_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...
    # Its position in the user's live stream; None while quiet hours hold it.
    @property
    def seq(self) -> int | None: ...


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    type: str
    priority: str
    title: str
    message: str
    data: dict[str, Any]
    action_url: str | None
    action_label: str | None
    topic: str | None
    resource_id: str | None
    source: str | None
    group_key: str | None
    read: bool
    read_at: datetime | None
    created_at: datetime
    expires_at: datetime | None

    @field_validator("data")
    @classmethod
    def _servable(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """A row stored before requests were bounded may hold ``data`` too deep to serialise
        (a 300-level one failed every listing of its recipient): shown as a marker instead.
        Not walked again for a notification just created (``JUST_CREATED``): its ``data``
        passed the request's bounds (``bounds.check_json_object``, at most 128 levels deep)
        moments ago."""
        if info.context is JUST_CREATED or json_depth_error(value, OUTPUT_MAX_DEPTH) is None:
            return value
        return {"_wakedock": "data out of bounds, not shown"}


class NotificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    message: Message | None = None
    type: NotificationType | None = None
    priority: Priority | None = None
    data: JsonObject = Field(default_factory=dict)
    action_url: Url | None = None
    action_label: Label | None = None
    expires_at: DateTime | None = None
    ttl_seconds: Annotated[int, Strict(), Field(ge=1, le=366 * 86400)] | None = None
    user_id: Id | None = None
    user_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None
    topic: Topic | None = None
    resource_id: ResourceId | None = None
    template: Key | None = None
    variables: JsonObject = Field(default_factory=dict)
    idempotency_key: Key | None = None
    group_key: Key | None = None
    channels: Annotated[list[ChannelName], Field(max_length=20)] = Field(default_factory=list)
    source: Annotated[str, StringConstraints(max_length=128)] | None = None

    @model_validator(mode="after")
    def _check(self) -> NotificationCreate:
        targets = [self.user_id is not None, self.user_ids is not None, self.topic is not None]
        if sum(targets) > 1:
            raise ValueError("give one target: user_id, user_ids or topic")
        if self.resource_id is not None and self.topic is None:
            raise ValueError("resource_id needs a topic")
        if self.template is None and self.title is None:
            raise ValueError("title is required unless a template is given")
        if self.template is not None and (self.title is not None or self.message is not None):
            raise ValueError("give either template (+ variables) or title/message, not both")
        if self.expires_at is not None and self.ttl_seconds is not None:
            raise ValueError("give either expires_at or ttl_seconds, not both")
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone offset")
        return self


class NotificationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    message: Message | None = None
    type: NotificationType | None = None
    priority: Priority | None = None
    data: JsonObject | None = None
    action_url: Url | None = None
    action_label: Label | None = None
    expires_at: DateTime | None = None
    read: StrictBool | None = None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class NotificationItems(BaseModel):
    items: list[NotificationOut]


class CountOut(BaseModel):
    count: int


class ReadAllRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: NotificationType | None = None


class DayCount(BaseModel):
    date: str
    count: int


class StatsOut(BaseModel):
    total: int
    unread: int
    read: int
    by_type: dict[str, int]
    by_priority: dict[str, int]
    per_day: list[DayCount]
