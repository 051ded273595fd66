"""Request and response bodies of /api/dashboards/data-sources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, Strict

from wakedock.bounds import JsonObject
from wakedock.dashboards.schemas import Closed, DataError, Description, Name, Uid


class DataSourceCreate(Closed):
    uid: Uid
    name: Name
    kind: Literal["prometheus", "http_json"]
    description: Description = ""
    config: JsonObject
    refresh_interval_seconds: Annotated[int, Strict(), Field(ge=1, le=86400)] = 30


class DataSourceUpdate(Closed):
    name: Name | None = None
    description: Description | None = None
    config: JsonObject | None = Field(
        default=None, description="Replaces the config; a secret key left out keeps its value"
    )
    refresh_interval_seconds: Annotated[int, Strict(), Field(ge=1, le=86400)] | None = None


class DataSourceOut(BaseModel):
    id: int
    uid: str
    name: str
    kind: str
    description: str
    builtin: bool
    refresh_interval_seconds: int
    config: dict[str, Any] | None = Field(
        description="Shown to dashboards:admin only, secrets masked; null for others"
    )
    created_at: datetime
    updated_at: datetime


class DataSourceList(BaseModel):
    items: list[DataSourceOut]


class DataSourceTest(BaseModel):
    status: Literal["ok", "error"]
    error: DataError | None = None
