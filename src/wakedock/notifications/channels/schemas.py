from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from wakedock.bounds import JsonObject, StrictBool
from wakedock.notifications.states import ChannelKind

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    type: ChannelKind
    config: JsonObject = Field(default_factory=dict)
    is_active: StrictBool = True


class ChannelPatch(BaseModel):
    """Secrets left out of ``config`` keep their stored value."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    config: JsonObject | None = None
    is_active: StrictBool | None = None


class ChannelOut(BaseModel):
    id: int
    name: str
    type: ChannelKind
    config: dict[str, Any] = Field(description="The configuration without its secrets")
    secrets_set: list[str] = Field(description="Secret fields that hold a value (never shown)")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ChannelTestResult(BaseModel):
    ok: bool
    error: str | None = None
    duration_ms: int


class PushSubscriptionKeys(BaseModel):
    p256dh: Annotated[str, StringConstraints(min_length=16, max_length=255)]
    auth: Annotated[str, StringConstraints(min_length=8, max_length=255)]


class PushSubscriptionIn(BaseModel):
    """The browser's ``PushSubscription.toJSON()``."""

    endpoint: Annotated[str, StringConstraints(min_length=8, max_length=2048)]
    keys: PushSubscriptionKeys
    expirationTime: Annotated[float, Strict(), Field(ge=0, le=1e15)] | None = None


class PushSubscriptionDelete(BaseModel):
    endpoint: Annotated[str, StringConstraints(min_length=8, max_length=2048)]


class PushSubscriptionOut(BaseModel):
    id: int
    endpoint: str
    created_at: datetime


class VapidKey(BaseModel):
    public_key: str
