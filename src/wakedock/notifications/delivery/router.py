"""Delivery queue: the admin's view (dead letters, retry) and a notification's timeline."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from wakedock.audit import service as audit
from wakedock.auth.dependencies import RequestMeta
from wakedock.auth.permissions import Permission
from wakedock.bounds import IdParam
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES, NotFound, ValidationFailed
from wakedock.notifications import service as notifications
from wakedock.notifications.delivery.schemas import DeliveryOut, DeliveryPage
from wakedock.notifications.dependencies import AppClock, NotificationsAdmin, Reader
from wakedock.notifications.models import Delivery, Notification
from wakedock.pagination import Cursor, decode_id_cursor, encode_cursor

router = APIRouter(prefix="/api/notifications", tags=["deliveries"], responses=ERROR_RESPONSES)
Status = Literal["pending", "running", "retrying", "succeeded", "dead", "cancelled"]


@router.get("/deliveries", summary="Deliveries, newest first (e.g. status=dead: the dead letters)")
async def list_deliveries(
    _: NotificationsAdmin,
    db: DbSession,
    status: Status | None = None,
    channel_type: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> DeliveryPage:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit + 1)
    if status is not None:
        query = query.where(Delivery.status == status)
    if channel_type is not None:
        query = query.where(Delivery.channel_type == channel_type)
    if (before := decode_id_cursor(cursor)) is not None:
        query = query.where(Delivery.id < before)
    rows = list((await db.scalars(query)).all())
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
    job = await db.get(Delivery, delivery_id)
    if job is None:
        raise NotFound("Delivery not found")
    if job.status not in ("dead", "retrying", "cancelled"):
        raise ValidationFailed(
            f"A {job.status} delivery cannot be retried", field="path.delivery_id"
        )
    job.status, job.run_at, job.completed_at = "pending", clock.now(), None
    job.max_attempts = max(job.max_attempts, job.attempts + 1)
    audit.record(
        db,
        actor=admin.acting(meta),
        action="delivery.retry",
        resource_type="delivery",
        resource_id=job.id,
        details={"channel_type": job.channel_type},
    )
    await db.commit()
    await db.refresh(job)
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    return DeliveryOut.model_validate(job)


@router.get("/{notification_id:int}/deliveries", summary="A notification's delivery timeline")
async def notification_deliveries(
    notification_id: IdParam, principal: Reader, db: DbSession, clock: AppClock
) -> list[DeliveryOut]:
    if principal.has(Permission.NOTIFICATIONS_ADMIN):
        if await db.get(Notification, notification_id) is None:
            raise NotFound("Notification not found")
    else:
        await notifications.get_own(
            db, user_id=principal.user_id, notification_id=notification_id, now=clock.now()
        )
    rows = (
        await db.scalars(
            select(Delivery)
            .where(Delivery.notification_id == notification_id)
            .order_by(Delivery.id)
        )
    ).all()
    return [DeliveryOut.model_validate(r) for r in rows]
