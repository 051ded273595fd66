"""Dashboard templates: the built-in ones, and those users save from their layouts.

A template is visible to its owner, to everyone once published (dashboards:admin), and
built-in ones to all. Applying one creates a new layout and counts the use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit import service as audit
from wakedock.audit.context import AuditActor
from wakedock.dashboards import service as layouts
from wakedock.dashboards.models import DashboardLayout, DashboardTemplate
from wakedock.db.base import utcnow
from wakedock.errors import Conflict, Forbidden, NotFound

MAX_TEMPLATES_PER_USER = 100


def _w(type: str, title: str, x: int, y: int, w: int, h: int, **config: Any) -> dict[str, Any]:
    return {
        "type": type,
        "title": title,
        "position": {"x": x, "y": y, "w": w, "h": h},
        "config": config,
    }


def _stat(title: str, query: str, x: int, y: int, w: int, unit: str = "%") -> dict[str, Any]:
    steps = [
        {"value": 0, "color": "green"},
        {"value": 75, "color": "orange"},
        {"value": 90, "color": "red"},
    ]
    thresholds = steps if unit == "%" else []
    return _w(
        "single_stat",
        title,
        x,
        y,
        w,
        2,
        source="system",
        query=query,
        unit=unit,
        decimals=1,
        thresholds=thresholds,
    )


QUICK = [
    {"label": "Send a test notification", "action": "send_test_notification", "style": "primary"},
    {"label": "Mark all read", "action": "mark_all_read"},
    {"label": "Refresh", "action": "refresh_dashboard"},
]

BUILTIN_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "key": "operations-overview",
        "name": "Operations overview",
        "category": "operations",
        "description": "Host health at a glance, your unread notifications and their trend, "
        "the latest notifications and quick actions.",
        "widgets": [
            _w("system_metrics", "Host", 0, 0, 6, 3, metrics=["cpu", "memory", "disk", "network"]),
            _w("unread_counter", "Unread", 6, 0, 2, 2, show_breakdown=True),
            _w("quick_actions", "Quick actions", 8, 0, 4, 2, actions=QUICK),
            _w(
                "notification_stats",
                "Notifications by priority",
                6,
                2,
                6,
                4,
                days=7,
                group_by="priority",
                chart="stacked",
            ),
            _w(
                "notification_feed", "Latest notifications", 0, 3, 6, 4, limit=10, unread_only=False
            ),
            _stat("CPU", "cpu.percent", 0, 7, 3),
            _stat("Memory", "memory.percent", 3, 7, 3),
            _stat("Load (1 min)", "load.1m", 6, 6, 3, unit=""),
            _stat("Root disk", "disk.0.percent", 9, 6, 3),
        ],
    },
    {
        "key": "notifications",
        "name": "Notifications",
        "category": "notifications",
        "description": "Everything about your notifications: unread count, the feed, and "
        "counts per day by type and by priority.",
        "widgets": [
            _w("unread_counter", "Unread", 0, 0, 3, 2, show_breakdown=True),
            _w("quick_actions", "Actions", 3, 0, 3, 2, actions=QUICK[:2]),
            _w(
                "text",
                "About",
                6,
                0,
                6,
                2,
                markdown=(
                    "**Notifications dashboard.** The feed shows your newest notifications; "
                    "the charts count them per day. Mark them read from the feed or with *Mark all "
                    "read*."
                ),
            ),
            _w("notification_feed", "Feed", 0, 2, 6, 6, limit=20, unread_only=False),
            _w(
                "notification_stats",
                "Per day by type",
                6,
                2,
                6,
                3,
                days=14,
                group_by="type",
                chart="bar",
            ),
            _w(
                "notification_stats",
                "Per day by priority",
                6,
                5,
                6,
                3,
                days=14,
                group_by="priority",
                chart="line",
            ),
        ],
    },
    {
        "key": "host-monitoring",
        "name": "Host monitoring",
        "category": "system",
        "description": "The WakeDock server's CPU (per core), memory, disks, network, load "
        "and uptime.",
        "widgets": [
            _stat("CPU", "cpu.percent", 0, 0, 3),
            _stat("Memory", "memory.percent", 3, 0, 3),
            _stat("Root disk", "disk.0.percent", 6, 0, 3),
            _stat("Uptime", "uptime_seconds", 9, 0, 3, unit="s"),
            _w("system_metrics", "CPU", 0, 2, 6, 4, metrics=["cpu"], per_cpu=True),
            _w("system_metrics", "Memory and disks", 6, 2, 6, 4, metrics=["memory", "disk"]),
            _w("system_metrics", "Network", 0, 6, 6, 3, metrics=["network"]),
            _w("system_metrics", "Load and uptime", 6, 6, 6, 3, metrics=["load", "uptime"]),
        ],
    },
)


async def ensure_builtins(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Create or refresh the built-in templates from the code (their usage counts stay)."""
    async with sessionmaker() as session:
        rows = (
            await session.scalars(select(DashboardTemplate).where(DashboardTemplate.builtin))
        ).all()
        by_key = {row.key: row for row in rows}
        for spec in BUILTIN_TEMPLATES:
            row = by_key.get(spec["key"])
            if row is None:
                session.add(DashboardTemplate(builtin=True, is_public=True, **spec))
            elif (row.name, row.description, row.category, row.widgets) != (
                spec["name"],
                spec["description"],
                spec["category"],
                spec["widgets"],
            ):
                row.name, row.description = spec["name"], spec["description"]
                row.category, row.widgets = spec["category"], spec["widgets"]
                row.updated_at = utcnow()
            try:
                await session.commit()
            except IntegrityError:  # another process did it first
                await session.rollback()


def _visible(user_id: int) -> Any:
    return or_(
        DashboardTemplate.builtin.is_(True),
        DashboardTemplate.is_public.is_(True),
        DashboardTemplate.owner_id == user_id,
    )


async def list_templates(session: AsyncSession, *, user_id: int) -> Sequence[DashboardTemplate]:
    query = (
        select(DashboardTemplate)
        .where(_visible(user_id))
        .order_by(DashboardTemplate.builtin.desc(), DashboardTemplate.name, DashboardTemplate.id)
    )
    return (await session.scalars(query)).all()


async def get_visible_or_raise(
    session: AsyncSession, *, user_id: int, template_id: int
) -> DashboardTemplate:
    template = (
        await session.scalars(
            select(DashboardTemplate).where(DashboardTemplate.id == template_id, _visible(user_id))
        )
    ).first()
    if template is None:
        raise NotFound("Template not found")
    return template


def _need_admin(is_admin: bool, what: str) -> None:
    if not is_admin:
        raise Forbidden(
            f"{what} needs dashboards:admin",
            code="missing_permission",
            details={"missing": ["dashboards:admin"]},
        )


async def create_from_layout(
    session: AsyncSession,
    *,
    actor: AuditActor,
    layout: DashboardLayout,
    name: str,
    description: str,
    category: str,
    is_public: bool,
    is_admin: bool,
) -> DashboardTemplate:
    if is_public:
        _need_admin(is_admin, "Publishing a template to everyone")
    count = await session.scalar(
        select(func.count())
        .select_from(DashboardTemplate)
        .where(DashboardTemplate.owner_id == layout.user_id)
    )
    if int(count or 0) >= MAX_TEMPLATES_PER_USER:
        raise Conflict(f"You already have {MAX_TEMPLATES_PER_USER} templates", code="limit_reached")
    template = DashboardTemplate(
        owner_id=layout.user_id,
        name=name,
        description=description,
        category=category,
        is_public=is_public,
        columns=layout.columns,
        row_height=layout.row_height,
        gap=layout.gap,
        widgets=layouts.widget_specs(layout),
    )
    session.add(template)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="dashboard.template.create",
        resource_type="dashboard_template",
        resource_id=template.id,
        details={"name": name, "from_layout_id": layout.id, "is_public": is_public},
    )
    await session.commit()
    return template


async def get_editable_or_raise(
    session: AsyncSession, *, user_id: int, template_id: int, is_admin: bool
) -> DashboardTemplate:
    """Own templates; published ones too for dashboards:admin. Built-in ones are read-only."""
    template = await get_visible_or_raise(session, user_id=user_id, template_id=template_id)
    if template.builtin:
        raise Conflict("Built-in templates cannot be changed", code="builtin_template")
    if template.owner_id != user_id:
        _need_admin(is_admin, "Changing someone else's published template")
    return template


async def update_template(
    session: AsyncSession,
    *,
    actor: AuditActor,
    template: DashboardTemplate,
    changes: dict[str, Any],
    is_admin: bool,
) -> DashboardTemplate:
    if changes.get("is_public") is True and not template.is_public:
        _need_admin(is_admin, "Publishing a template to everyone")
    changed = sorted(k for k, v in changes.items() if getattr(template, k) != v)
    for key in changed:
        setattr(template, key, changes[key])
    if changed:
        template.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="dashboard.template.update",
            resource_type="dashboard_template",
            resource_id=template.id,
            details={"changed": changed, "is_public": template.is_public},
        )
        await session.commit()
    return template


async def delete_template(
    session: AsyncSession, *, actor: AuditActor, template: DashboardTemplate
) -> None:
    audit.record(
        session,
        actor=actor,
        action="dashboard.template.delete",
        resource_type="dashboard_template",
        resource_id=template.id,
        details={"name": template.name, "owner_id": template.owner_id},
    )
    await session.delete(template)
    await session.commit()


async def apply(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    template: DashboardTemplate,
    name: str,
) -> DashboardLayout:
    """A new layout of the user's, built from the template; the template's use is counted."""
    await session.execute(
        update(DashboardTemplate)
        .where(DashboardTemplate.id == template.id)
        .values(usage_count=DashboardTemplate.usage_count + 1)
    )
    return await layouts.create_layout(
        session,
        actor=actor,
        user_id=user_id,
        name=name,
        description=template.description,
        columns=template.columns,
        row_height=template.row_height,
        gap=template.gap,
        widgets=list(template.widgets),
        action="dashboard.template.apply",
        audit_details={"template_id": template.id, "template": template.name},
    )
