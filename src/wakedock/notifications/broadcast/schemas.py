from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from wakedock.auth.permissions import Role
from wakedock.bounds import Id, JsonObject, StrictBool
from wakedock.notifications.schemas import (
    ChannelName,
    Key,
    Label,
    Message,
    NotificationType,
    Priority,
    Title,
    Url,
)
from wakedock.notifications.states import BroadcastStatus


class Audience(BaseModel):
    model_config = ConfigDict(extra="forbid")

    all: StrictBool | None = None
    roles: Annotated[list[Role], Field(min_length=1)] | None = None
    user_ids: Annotated[list[Id], Field(min_length=1, max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Audience:
        given = [self.all is True, self.roles is not None, self.user_ids is not None]
        if sum(given) != 1 or self.all is False:
            raise ValueError(
                'target is one of {"all": true}, {"roles": [...]}, {"user_ids": [...]}'
            )
        return self


class BroadcastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    message: Message | None = None
    template: Key | None = None
    variables: JsonObject = Field(default_factory=dict)
    type: NotificationType | None = None
    priority: Priority | None = None
    data: JsonObject = Field(default_factory=dict)
    action_url: Url | None = None
    action_label: Label | None = None
    ttl_seconds: Annotated[int, Strict(), Field(ge=1, le=366 * 86400)] | None = None
    channels: Annotated[list[ChannelName], Field(max_length=20)] = Field(default_factory=list)
    target: Audience

    @model_validator(mode="after")
    def _content(self) -> BroadcastIn:
        if self.template is None and self.title is None:
            raise ValueError("title is required unless a template is given")
        if self.template is not None and (self.title is not None or self.message is not None):
            raise ValueError("give either template (+ variables) or title/message, not both")
        return self


class AudienceIn(BaseModel):
    """The audience of a would-be broadcast (the same ``target`` as a broadcast's body)."""

    model_config = ConfigDict(extra="forbid")

    target: Audience


class AudienceCount(BaseModel):
    recipients: int = Field(description="Active users a broadcast to this audience reaches now")


class BroadcastAccepted(BaseModel):
    broadcast_id: int
    recipients: int


class BroadcastOut(BaseModel):
    id: int
    sender_id: int | None
    title: str
    type: str
    priority: str
    target: dict[str, Any]
    status: BroadcastStatus
    recipients: int
    delivered: int
    read: int
    created_at: datetime
    completed_at: datetime | None
