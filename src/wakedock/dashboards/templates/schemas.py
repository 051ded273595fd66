"""Request and response bodies of /api/dashboards/templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from wakedock.bounds import Id, StrictBool
from wakedock.dashboards.schemas import Closed, Description, Grid, Name, Position


class TemplateWidget(BaseModel):
    type: str
    title: str
    position: Position
    config: dict[str, Any]


class TemplateSummary(BaseModel):
    id: int
    key: str | None
    name: str
    description: str
    category: str
    builtin: bool
    is_public: bool
    owner_id: int | None
    mine: bool
    grid: Grid
    widget_count: int
    widget_types: list[str]
    usage_count: int
    created_at: datetime
    updated_at: datetime


class TemplateOut(TemplateSummary):
    widgets: list[TemplateWidget]


class TemplateList(BaseModel):
    items: list[TemplateSummary]


class TemplateCreate(Closed):
    layout_id: Id
    name: Name
    description: Description = ""
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)] = "custom"
    is_public: StrictBool = Field(
        default=False, description="Publishing to everyone needs dashboards:admin"
    )


class TemplateUpdate(Closed):
    name: Name | None = None
    description: Description | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    is_public: StrictBool | None = None


class ApplyTemplate(Closed):
    name: Name
