"""The built-in ``notifications`` source: the viewer's own notifications, through the
notifications service. Personal: results are cached per user and never shown on a shared
dashboard.

Queries: ``{"op": "feed", "limit", "unread_only", "type", "priority"}``, ``{"op": "unread"}``,
``{"op": "stats", "days", "group_by": "type" | "priority"}``.
"""

from __future__ import annotations

from typing import Any

from wakedock.dashboards.sources.base import FetchContext, SourceError
from wakedock.notifications import service as notifications
from wakedock.settings import Settings

kind = "notifications"
personal = True
secret_keys: tuple[str, ...] = ()
config_schema: dict[str, Any] = {"type": "object", "additionalProperties": False}


async def check_config(config: dict[str, Any], settings: Settings) -> None:
    return None


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "priority": row.priority,
        "title": row.title,
        "message": row.message,
        "read": row.read,
        "created_at": row.created_at.isoformat(),
        "action_url": row.action_url,
        "action_label": row.action_label,
    }


async def fetch(config: dict[str, Any], query: dict[str, Any], ctx: FetchContext) -> Any:
    if ctx.user_id is None:
        raise SourceError("personal_source", "Notifications are only shown to their owner")
    op = query.get("op")
    async with ctx.sessionmaker() as session:
        if op == "feed":
            filters = {k: query[k] for k in ("type", "priority") if query.get(k)}
            rows, more = await notifications.list_page(
                session,
                user_id=ctx.user_id,
                now=ctx.now,
                limit=int(query.get("limit", 10)),
                before_id=None,
                unread_only=bool(query.get("unread_only", False)),
                **filters,
            )
            unread = await notifications.unread_count(session, user_id=ctx.user_id, now=ctx.now)
            return {"items": [_item(r) for r in rows], "more": more, "unread_count": unread}
        if op == "unread":
            stats = await notifications.stats(session, user_id=ctx.user_id, now=ctx.now)
            return {
                "unread": stats["unread"],
                "total": stats["total"],
                "by_priority": stats["by_priority"],
                "by_type": stats["by_type"],
            }
        if op == "stats":
            return await notifications.counts_per_day(
                session,
                user_id=ctx.user_id,
                now=ctx.now,
                days=int(query.get("days", 7)),
                group_by=str(query.get("group_by", "type")),
            )
    raise SourceError("invalid_query", f"Unknown notifications query {op!r}")
