"""Quick actions the server runs for the viewer (buttons of a quick_actions widget)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit.context import AuditActor
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.dashboards.models import DashboardWidget
from wakedock.dashboards.widgets.content import SERVER_ACTIONS
from wakedock.errors import Forbidden, NotFound, ValidationFailed
from wakedock.notifications import sending
from wakedock.notifications import service as notifications
from wakedock.notifications.schemas import NotificationCreate, NotificationType, Priority


def action_at(widget: DashboardWidget, index: int) -> str:
    """The action of button ``index`` of a quick_actions widget (404 when there is none)."""
    actions = widget.config.get("actions", []) if widget.type == "quick_actions" else []
    if not 0 <= index < len(actions):
        raise NotFound("No such action on this widget")
    name = str(actions[index]["action"])
    if name not in SERVER_ACTIONS:
        raise ValidationFailed(
            f"{name!r} runs in the client, not on the server", field="path.index"
        )
    return name


async def run(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    action: str,
    now: datetime,
    broker: Broker | None,
) -> dict[str, Any]:
    """Run ``action`` as ``principal``; each one is audited by the service doing the write."""
    if not principal.has(Permission.NOTIFICATIONS_READ):
        raise Forbidden(
            "This action needs notifications:read",
            code="missing_permission",
            details={"missing": [Permission.NOTIFICATIONS_READ.value]},
        )
    if action == "send_test_notification":
        body = NotificationCreate(
            title="Test notification",
            message="Sent from a quick action on your dashboard.",
            type=NotificationType.INFO,
            priority=Priority.NORMAL,
            source="dashboard",
        )
        created = await sending.create(
            session, principal=principal, actor=actor, body=body, now=now, broker=broker
        )
        return {"notification_ids": [n.id for n in created.notifications]}
    if action == "mark_all_read":
        result = await notifications.mark_all_read(
            session, actor=actor, user_id=principal.user_id, broker=broker, now=now
        )
        return {"count": len(result.ids), "unread_count": result.unread_count}
    raise ValidationFailed(f"Unknown action {action!r}", field="path.index")
