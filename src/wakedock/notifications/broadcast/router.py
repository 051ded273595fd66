"""/api/notifications/broadcast(s): admin announcements to everyone, roles or user lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications.broadcast import direct, service
from wakedock.notifications.broadcast.schemas import (
    AudienceCount,
    AudienceIn,
    BroadcastAccepted,
    BroadcastIn,
    BroadcastOut,
)
from wakedock.notifications.dependencies import Broadcaster
from wakedock.notifications.templates.dependencies import RENDERERS_BUSY
from wakedock.pagination import Cursor, decode_id_cursor

router = APIRouter(prefix="/api/notifications", tags=["broadcast"], responses=ERROR_RESPONSES)


@router.post(
    "/broadcast",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Broadcast a notification",
    responses=RENDERERS_BUSY,
)
async def broadcast(
    body: BroadcastIn,
    principal: Broadcaster,
    db: DbSession,
    meta: RequestMeta,
    request: Request,
) -> BroadcastAccepted:
    # ``wakedock serve`` answers this under the framework (``broadcast.direct``), the same way.
    return await direct.accept(request.app.state, db, principal, principal.acting(meta), body)


@router.post("/broadcast/audience", summary="How many users a broadcast to this audience reaches")
async def audience_size(body: AudienceIn, _: Broadcaster, db: DbSession) -> AudienceCount:
    """Resolved exactly like a broadcast's audience at send time: active users only."""
    return AudienceCount(
        recipients=await service.count_audience(db, service.stored_target(body.target))
    )


@router.get("/broadcasts", summary="Past broadcasts with their counts")
async def list_broadcasts(
    _: Broadcaster,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> list[BroadcastOut]:
    before = decode_id_cursor(cursor)
    return await service.list_broadcasts(db, limit=limit, before_id=before)
