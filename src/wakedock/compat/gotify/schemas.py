"""Gotify's JSON shapes (its published API spec, docs/spec.json), in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from wakedock.bounds import JsonObject
from wakedock.compat.gotify import priorities
from wakedock.notifications.schemas import Topic

GotifyPriority = Annotated[int, Strict(), Field(ge=priorities.MIN, le=priorities.MAX)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class MessageIn(BaseModel):
    """``POST /message``. Unknown fields are ignored, as Gotify does."""

    message: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    title: Annotated[str, StringConstraints(max_length=255)] | None = None
    priority: GotifyPriority | None = None
    extras: JsonObject | None = None


class ApplicationIn(BaseModel):
    """``POST /application`` and ``PUT /application/{id}``; ``topic`` is WakeDock's own: the
    application then publishes to every subscriber of that topic instead of its owner."""

    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    defaultPriority: GotifyPriority = 0
    topic: Topic | None = None


class ClientIn(BaseModel):
    name: Name


class MessageOut(BaseModel):
    id: int
    appid: int
    message: str
    title: str
    priority: int
    extras: dict[str, Any] | None = None
    date: datetime


class Paging(BaseModel):
    size: int
    since: int
    limit: int
    next: str | None = None


class PagedMessages(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "Gotify's paged messages"})

    paging: Paging
    messages: list[MessageOut]


class ApplicationOut(BaseModel):
    id: int
    token: str
    name: str
    description: str
    internal: bool = False
    image: str = "static/defaultapp.png"  # served by the router (icon.py)
    defaultPriority: int
    lastUsed: datetime | None = None
    topic: str | None = None


class ClientOut(BaseModel):
    id: int
    token: str
    name: str
    lastUsed: datetime | None = None


class UserOut(BaseModel):
    id: int
    name: str
    admin: bool


class VersionOut(BaseModel):
    version: str
    commit: str
    buildDate: str


class HealthOut(BaseModel):
    health: str
    database: str
