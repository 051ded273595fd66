from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from wakedock.bounds import StrictBool
from wakedock.notifications.schemas import (
    ChannelName,
    NotificationType,
    Priority,
    ResourceId,
    Topic,
)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Topic
    resource_id: ResourceId | None = None
    notification_types: list[NotificationType] | None = None
    priority_threshold: Priority = Priority.LOW
    channels: Annotated[list[ChannelName], Field(max_length=20)] | None = None
    is_active: StrictBool = True


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_types: list[NotificationType] | None = None
    priority_threshold: Priority | None = None
    channels: Annotated[list[ChannelName], Field(max_length=20)] | None = None
    is_active: StrictBool | None = None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    resource_id: str | None
    notification_types: list[str] | None
    priority_threshold: str
    channels: list[str] | None
    is_active: bool
    created_at: datetime
