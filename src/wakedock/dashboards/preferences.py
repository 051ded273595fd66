"""Per-user dashboard preferences (one row per user, created on first write)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.dashboards.models import DashboardLayout, UserDashboardPreferences
from wakedock.db.base import utcnow
from wakedock.errors import NotFound

DEFAULTS: dict[str, Any] = {
    "theme": "auto",
    "auto_refresh_interval": 30,
    "show_grid": True,
    "snap_to_grid": True,
    "compact_mode": False,
    "default_widget_w": 4,
    "default_widget_h": 3,
    "default_layout_id": None,
}


async def get(session: AsyncSession, *, user_id: int) -> UserDashboardPreferences | None:
    return await session.get(UserDashboardPreferences, user_id)


async def get_or_create(session: AsyncSession, *, user_id: int) -> UserDashboardPreferences:
    """The user's row, added to the session (not committed) when there is none yet."""
    prefs = await get(session, user_id=user_id)
    if prefs is None:
        prefs = UserDashboardPreferences(user_id=user_id, **DEFAULTS)
        session.add(prefs)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:  # a concurrent request created it first
            prefs = await session.get(UserDashboardPreferences, user_id, populate_existing=True)
            assert prefs is not None
    return prefs


def as_dict(prefs: UserDashboardPreferences | None) -> dict[str, Any]:
    values = dict(DEFAULTS)
    updated_at = None
    if prefs is not None:
        values = {key: getattr(prefs, key) for key in DEFAULTS}
        updated_at = prefs.updated_at
    return {
        "theme": values["theme"],
        "auto_refresh_interval": values["auto_refresh_interval"],
        "show_grid": values["show_grid"],
        "snap_to_grid": values["snap_to_grid"],
        "compact_mode": values["compact_mode"],
        "default_widget_size": {"w": values["default_widget_w"], "h": values["default_widget_h"]},
        "default_layout_id": values["default_layout_id"],
        "updated_at": updated_at,
    }


async def default_layout_id(session: AsyncSession, *, user_id: int) -> int | None:
    prefs = await get(session, user_id=user_id)
    return prefs.default_layout_id if prefs is not None else None


async def update(
    session: AsyncSession, *, actor: AuditActor, user_id: int, changes: dict[str, Any]
) -> UserDashboardPreferences:
    """Apply the given fields; a ``default_layout_id`` not among the user's layouts is a 404."""
    layout_id = changes.get("default_layout_id")
    if layout_id is not None:
        owned = await session.scalar(
            select(DashboardLayout.id).where(
                DashboardLayout.id == layout_id, DashboardLayout.user_id == user_id
            )
        )
        if owned is None:
            raise NotFound("Dashboard not found")
    size = changes.pop("default_widget_size", None)
    if size is not None:
        changes["default_widget_w"], changes["default_widget_h"] = size["w"], size["h"]
    prefs = await get_or_create(session, user_id=user_id)
    changed = sorted(k for k, v in changes.items() if getattr(prefs, k) != v)
    for key in changed:
        setattr(prefs, key, changes[key])
    prefs.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_PREFERENCES_UPDATE,
        resource_type="dashboard_preferences",
        resource_id=user_id,
        details={"changed": changed},
    )
    await session.commit()
    return prefs
