"""Request and response bodies of /api/dashboards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from wakedock.bounds import Id, JsonObject, StrictBool

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=1000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
WidgetTypeName = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Uid = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Columns = Annotated[int, Strict(), Field(ge=1, le=48)]
RowHeight = Annotated[int, Strict(), Field(ge=10, le=1000, description="pixels")]
Gap = Annotated[int, Strict(), Field(ge=0, le=100, description="pixels")]
GridUnit = Annotated[
    int, Strict(), Field(ge=-1_000_000, le=1_000_000)
]  # range checked by the service


class Closed(BaseModel):
    """A request body: unknown fields refused; its ints and booleans are strict types."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- grid and widgets


class Grid(BaseModel):
    columns: int
    row_height: int
    gap: int


class Position(Closed):
    x: GridUnit
    y: GridUnit
    w: GridUnit
    h: GridUnit


class WidgetCreate(Closed):
    type: WidgetTypeName
    title: Title | None = None
    position: Position | None = Field(
        default=None, description="Omit to place it in the first free spot, at its default size"
    )
    config: JsonObject = Field(default_factory=dict)


class WidgetUpdate(Closed):
    title: Title | None = None
    position: Position | None = None
    config: JsonObject | None = Field(
        default=None, description="Replaces the whole config (defaults fill missing keys)"
    )


class WidgetOut(BaseModel):
    id: int
    layout_id: int
    type: str
    title: str
    position: Position
    config: dict[str, Any]


class LayoutItem(Closed):
    id: Id
    x: GridUnit
    y: GridUnit
    w: GridUnit
    h: GridUnit


class LayoutSave(Closed):
    widgets: Annotated[list[LayoutItem], Field(max_length=200)]


# ---------------------------------------------------------------- layouts


class LayoutCreate(Closed):
    name: Name
    description: Description = ""
    columns: Columns = 12
    row_height: RowHeight = 80
    gap: Gap = 8


class LayoutUpdate(Closed):
    name: Name | None = None
    description: Description | None = None
    columns: Columns | None = None
    row_height: RowHeight | None = None
    gap: Gap | None = None


class DuplicateRequest(Closed):
    name: Name | None = None


class LayoutSummary(BaseModel):
    id: int
    name: str
    description: str
    grid: Grid
    is_default: bool
    shared: bool
    shared_at: datetime | None
    widget_count: int
    created_at: datetime
    updated_at: datetime


class LayoutOut(LayoutSummary):
    widgets: list[WidgetOut]


class LayoutList(BaseModel):
    items: list[LayoutSummary]


# ---------------------------------------------------------------- widget types and data


class SizeOut(BaseModel):
    w: int
    h: int


class WidgetTypeOut(BaseModel):
    type: str
    title: str
    description: str
    category: str
    config_schema: dict[str, Any]
    default_config: dict[str, Any]
    default_size: SizeOut
    min_size: SizeOut
    max_size: SizeOut
    source_kinds: list[str]
    personal: bool


class WidgetTypeList(BaseModel):
    items: list[WidgetTypeOut]


class DataError(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class WidgetData(BaseModel):
    widget_id: int
    type: str
    status: Literal["ok", "error"]
    data: Any = None
    error: DataError | None = None
    source: str | None = Field(default=None, description="uid of the data source, if any")
    fetched_at: datetime | None = None
    cached: bool = False
    refresh_interval: int | None = Field(default=None, description="seconds")


class LayoutData(BaseModel):
    layout_id: int
    widgets: list[WidgetData]


class ActionResult(BaseModel):
    action: str
    status: Literal["ok"]
    result: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- sharing


class ShareOut(BaseModel):
    token: str = Field(description="Shown once; POST again to replace the link")
    url: str = Field(description="The read-only page to hand out (/shared/{token} of the web UI)")
    shared_at: datetime


class SharedWidget(BaseModel):
    id: int
    type: str
    title: str
    position: Position
    config: dict[str, Any]
    data: WidgetData


class SharedLayout(BaseModel):
    name: str
    description: str
    grid: Grid
    widgets: list[SharedWidget]


# ---------------------------------------------------------------- preferences


class WidgetSize(Closed):
    w: Annotated[int, Strict(), Field(ge=1, le=48)]
    h: Annotated[int, Strict(), Field(ge=1, le=100)]


class PreferencesOut(BaseModel):
    theme: Literal["light", "dark", "auto"]
    auto_refresh_interval: int = Field(description="seconds between refreshes; 0 = off")
    show_grid: bool
    snap_to_grid: bool
    compact_mode: bool
    default_widget_size: WidgetSize
    default_layout_id: int | None
    updated_at: datetime | None


class PreferencesUpdate(Closed):
    """Fields left out keep their current value."""

    theme: Literal["light", "dark", "auto"] | None = None
    auto_refresh_interval: Annotated[int, Strict(), Field(ge=0, le=86400)] | None = None
    show_grid: StrictBool | None = None
    snap_to_grid: StrictBool | None = None
    compact_mode: StrictBool | None = None
    default_widget_size: WidgetSize | None = None
    default_layout_id: Id | None = None
