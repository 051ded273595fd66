"""Dashboards: layouts, their widgets, templates, data sources and per-user preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wakedock.db.base import Base, BigIntPK, JSONType, utcnow


class DashboardLayout(Base):
    """One user's dashboard: a grid and the widgets placed on it."""

    __tablename__ = "dashboard_layouts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    columns: Mapped[int] = mapped_column(default=12)
    row_height: Mapped[int] = mapped_column(default=80)
    gap: Mapped[int] = mapped_column(default=8)
    # Only the SHA-256 of a share token is stored; the token itself is shown once.
    share_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    shared_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    widgets: Mapped[list[DashboardWidget]] = relationship(
        back_populates="layout",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(DashboardWidget.y, DashboardWidget.x, DashboardWidget.id)",
    )


class DashboardWidget(Base):
    __tablename__ = "dashboard_widgets"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    layout_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_layouts.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    x: Mapped[int]
    y: Mapped[int]
    w: Mapped[int]
    h: Mapped[int]
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Mirrors config["source"] (a data source uid) so a source in use cannot be deleted.
    data_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("widget_data_sources.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    layout: Mapped[DashboardLayout] = relationship(back_populates="widgets")


class DashboardTemplate(Base):
    """A reusable layout: built-in (``key`` set), or saved by a user and maybe published."""

    __tablename__ = "dashboard_templates"
    __table_args__ = (Index("ix_dashboard_templates_public", "is_public"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    category: Mapped[str] = mapped_column(String(40), default="custom")
    builtin: Mapped[bool] = mapped_column(default=False)
    is_public: Mapped[bool] = mapped_column(default=False)
    columns: Mapped[int] = mapped_column(default=12)
    row_height: Mapped[int] = mapped_column(default=80)
    gap: Mapped[int] = mapped_column(default=8)
    # [{"type", "title", "position": {"x", "y", "w", "h"}, "config"}, ...]
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    usage_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WidgetDataSource(Base):
    """Where widgets get live data: built-in ``notifications``/``system``, or an upstream."""

    __tablename__ = "widget_data_sources"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(1000), default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refresh_interval_seconds: Mapped[int] = mapped_column(default=30)
    builtin: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserDashboardPreferences(Base):
    __tablename__ = "user_dashboard_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(String(8), default="auto")
    auto_refresh_interval: Mapped[int] = mapped_column(default=30)
    show_grid: Mapped[bool] = mapped_column(default=True)
    snap_to_grid: Mapped[bool] = mapped_column(default=True)
    compact_mode: Mapped[bool] = mapped_column(default=False)
    default_widget_w: Mapped[int] = mapped_column(default=4)
    default_widget_h: Mapped[int] = mapped_column(default=3)
    # The one default layout of the user (at most one by construction).
    default_layout_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboard_layouts.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
