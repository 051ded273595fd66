"""Delivery queue: the admin's view (dead letters, retry) and a notification's timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from wakedock.auth.dependencies import RequestMeta
from wakedock.auth.permissions import Permission
from wakedock.bounds import IdParam
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications.delivery import service
from wakedock.notifications.delivery.schemas import DeliveryOut, DeliveryPage
from wakedock.notifications.dependencies import AppClock, NotificationsAdmin, Reader
from wakedock.notifications.states import DeliveryChannel, DeliveryStatus
from wakedock.pagination import Cursor, decode_id_cursor, encode_cursor

router = APIRouter(prefix="/api/notifications", tags=["deliveries"], responses=ERROR_RESPONSES)


@router.get("/deliveries", summary="Deliveries, newest first (e.g. status=dead: the dead letters)")
async def list_deliveries(
    _: NotificationsAdmin,
    db: DbSession,
    status: DeliveryStatus | None = None,
    channel_type: DeliveryChannel | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> DeliveryPage:
    rows = await service.list_deliveries(
        db,
        status=status,
        channel_type=channel_type,
        before_id=decode_id_cursor(cursor),
        limit=limit + 1,
    )
    page = rows[:limit]
    return DeliveryPage(
        items=[DeliveryOut.model_validate(r) for r in page],
        next_cursor=encode_cursor(id=page[-1].id) if len(rows) > limit else None,
    )


@router.post("/deliveries/{delivery_id:int}/retry", summary="Retry a dead or failed delivery now")
async def retry_delivery(
    delivery_id: IdParam,
    admin: NotificationsAdmin,
    db: DbSession,
    clock: AppClock,
    meta: RequestMeta,
    request: Request,
) -> DeliveryOut:
    worker = getattr(request.app.state, "worker", None)
    job = await service.retry(
        db,
        actor=admin.acting(meta),
        delivery_id=delivery_id,
        now=clock.now(),
        wake=worker.wake if worker is not None else None,
    )
    return DeliveryOut.model_validate(job)


@router.get("/{notification_id:int}/deliveries", summary="A notification's delivery timeline")
async def notification_deliveries(
    notification_id: IdParam, principal: Reader, db: DbSession, clock: AppClock
) -> list[DeliveryOut]:
    admin = principal.has(Permission.NOTIFICATIONS_ADMIN)
    rows = await service.timeline(
        db,
        notification_id=notification_id,
        viewer_id=None if admin else principal.user_id,
        now=clock.now(),
    )
    return [DeliveryOut.model_validate(r) for r in rows]
