"""The Connected apps API's shapes (WakeDock's, not Gotify's: the UI's generated client)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from wakedock.bounds import StrictBool
from wakedock.compat.gotify.schemas import GotifyPriority
from wakedock.notifications.schemas import Topic

Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class GotifyApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    default_priority: GotifyPriority = Field(
        default=5, description="Gotify's 0-10, used when a message names none"
    )
    topic: Topic | None = Field(
        default=None,
        description="Publish to every subscriber of this topic (needs notifications:send) "
        "instead of to you",
    )


class GotifyApplicationUpdate(BaseModel):
    """A rename or edit: the topic binding stays as it was created."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    default_priority: GotifyPriority = Field(
        default=5, description="Gotify's 0-10, used when a message names none"
    )


class GotifyApplicationOut(BaseModel):
    id: int
    name: str
    description: str
    default_priority: int
    topic: str | None
    token_prefix: str
    created_at: datetime
    last_used_at: datetime | None


class GotifyApplicationCreated(GotifyApplicationOut):
    token: str = Field(description="The application's token, shown only in this answer.")


class GotifyClientOut(BaseModel):
    id: int
    name: str
    token_prefix: str
    created_at: datetime
    last_used_at: datetime | None


class GotifyClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class GotifyClientCreated(GotifyClientOut):
    token: str = Field(description="The client's token, shown only in this answer.")


class NtfyTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    publish: StrictBool = Field(default=True, description="May publish (notifications:send)")
    subscribe: StrictBool = Field(default=True, description="May subscribe (notifications:read)")


class NtfyTokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


class NtfyTokenCreated(NtfyTokenOut):
    token: str = Field(description="The access token, shown only in this answer.")


class ConnectedApps(BaseModel):
    gotify_applications: list[GotifyApplicationOut]
    gotify_clients: list[GotifyClientOut]
    ntfy_tokens: list[NtfyTokenOut]
