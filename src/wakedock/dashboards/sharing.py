"""Read-only share links: a random token per layout, only its SHA-256 stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.dashboards import layout as grid
from wakedock.dashboards.models import DashboardLayout, DashboardWidget
from wakedock.db.base import utcnow
from wakedock.errors import NotFound

TOKEN_PREFIX = "wds_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def share(session: AsyncSession, *, actor: AuditActor, layout: DashboardLayout) -> str:
    """A new share token for ``layout`` (any previous link stops working). Shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    replaced = layout.share_token_hash is not None
    layout.share_token_hash = hash_token(token)
    layout.shared_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_SHARE,
        resource_type="dashboard",
        resource_id=layout.id,
        details={"replaced_link": replaced},
    )
    await session.commit()
    return token


async def unshare(session: AsyncSession, *, actor: AuditActor, layout: DashboardLayout) -> bool:
    """Revoke the layout's link; False when it had none."""
    was_shared = layout.share_token_hash is not None
    layout.share_token_hash = None
    layout.shared_at = None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_UNSHARE,
        resource_type="dashboard",
        resource_id=layout.id,
        details={"was_shared": was_shared},
    )
    await session.commit()
    return was_shared


async def get_by_token(session: AsyncSession, *, token: str) -> DashboardLayout:
    """The layout a live token opens; unknown or revoked tokens are a 404."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        raise NotFound("Shared dashboard not found")
    layout = (
        await session.scalars(
            select(DashboardLayout).where(DashboardLayout.share_token_hash == hash_token(token))
        )
    ).first()
    if layout is None:
        raise NotFound("Shared dashboard not found")
    return layout


def visible_boxes(widgets: list[DashboardWidget]) -> dict[int, tuple[int, int, int, int]]:
    """The shared widgets' boxes, compacted: no hole where a personal widget was left out."""
    items = [grid.Item(w.id, w.x, w.y, w.w, w.h) for w in widgets]
    return {item.i: item.box() for item in grid.compact(items)}
