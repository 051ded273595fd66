"""/api/notifications: the caller's own notifications."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.bounds import DateTime, IdParam
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications import changes, events, sending, service
from wakedock.notifications.dependencies import AppBroker, AppClock, Reader
from wakedock.notifications.schemas import (
    CountOut,
    NotificationCreate,
    NotificationItems,
    NotificationOut,
    NotificationPage,
    NotificationType,
    NotificationUpdate,
    Priority,
    ReadAllRequest,
    StatsOut,
)
from wakedock.notifications.store import Created
from wakedock.notifications.templates.dependencies import RENDERERS_BUSY
from wakedock.pagination import Cursor, decode_id_cursor, encode_cursor

router = APIRouter(prefix="/api/notifications", tags=["notifications"], responses=ERROR_RESPONSES)


@router.get("", summary="List your notifications, newest first")
async def list_notifications(
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    unread_only: bool = False,
    type: NotificationType | None = None,
    priority: Priority | None = None,
    since: DateTime | None = None,
    until: DateTime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> NotificationPage:
    before = decode_id_cursor(cursor)
    now = clock.now()
    rows, more = await service.list_page(
        db,
        user_id=principal.user_id,
        now=now,
        limit=limit,
        before_id=before,
        unread_only=unread_only,
        type=type.value if type else None,
        priority=priority.value if priority else None,
        since=since,
        until=until,
        q=q,
    )
    return NotificationPage(
        items=[service.to_out(r) for r in rows],
        next_cursor=encode_cursor(id=rows[-1].id) if more and rows else None,
        unread_count=await service.unread_count(db, user_id=principal.user_id, now=now),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a notification (for yourself, users, or a topic's subscribers)",
    response_model=NotificationOut | NotificationItems,
    responses={
        200: {"description": "Idempotent replay: the original result, nothing created"},
        **RENDERERS_BUSY,
    },
)
async def create_notification(
    body: NotificationCreate,
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
    request: Request,
) -> Response:
    created = await sending.create(
        db,
        principal=principal,
        actor=principal.acting(meta),
        body=body,
        now=clock.now(),
        broker=broker,
        renderer=request.app.state.renderer,  # used only if a template is named
    )
    return created_response(created, body)


def created_response(created: Created, body: NotificationCreate) -> Response:
    """201 with what was created (one notification, or ``items``); 200 for an idempotent
    replay of an earlier request."""
    code = status.HTTP_200_OK if created.existing else status.HTTP_201_CREATED
    single = body.topic is None and body.user_ids is None
    shapes = created.payloads  # the live event's shape, when one was published
    items = [shapes.get(n.id) or events.notification_payload(n) for n in created.notifications]
    payload: object = items[0] if single and len(items) == 1 else {"items": items}
    return Response(orjson.dumps(payload), status_code=code, media_type="application/json")


@router.get("/stats", summary="Counts of your notifications by type, priority, read state and day")
async def notification_stats(principal: Reader, db: DbSession, clock: AppClock) -> StatsOut:
    return StatsOut.model_validate(
        await service.stats(db, user_id=principal.user_id, now=clock.now())
    )


@router.post("/read-all", summary="Mark all your notifications read (optionally one type)")
async def read_all(
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
    body: ReadAllRequest | None = None,
) -> CountOut:
    result = await service.mark_all_read(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        broker=broker,
        type=body.type.value if body and body.type else None,
        now=clock.now(),
    )
    return CountOut(count=len(result.ids))


@router.get("/{notification_id:int}", summary="Get one of your notifications")
async def get_notification(
    notification_id: IdParam, principal: Reader, db: DbSession, clock: AppClock
) -> NotificationOut:
    row = await service.get_own(
        db, user_id=principal.user_id, notification_id=notification_id, now=clock.now()
    )
    return service.to_out(row)


@router.put("/{notification_id:int}", summary="Change one of your notifications")
async def update_notification(
    notification_id: IdParam,
    body: NotificationUpdate,
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> NotificationOut:
    row = await changes.update_own(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        notification_id=notification_id,
        body=body,
        now=clock.now(),
        broker=broker,
    )
    return service.to_out(row)


@router.delete(
    "/{notification_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete one of your notifications",
)
async def delete_notification(
    notification_id: IdParam,
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> Response:
    await changes.delete_own(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        notification_id=notification_id,
        now=clock.now(),
        broker=broker,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _mark(
    notification_id: IdParam,
    read: bool,
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> NotificationOut:
    row = await service.mark_one(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        notification_id=notification_id,
        read=read,
        now=clock.now(),
        broker=broker,
    )
    return service.to_out(row)


@router.post("/{notification_id:int}/read", summary="Mark one of your notifications read")
async def mark_read(
    notification_id: IdParam,
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> NotificationOut:
    return await _mark(notification_id, True, principal, db, clock, broker, meta)


@router.post("/{notification_id:int}/unread", summary="Mark one of your notifications unread")
async def mark_unread(
    notification_id: IdParam,
    principal: Reader,
    db: DbSession,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> NotificationOut:
    return await _mark(notification_id, False, principal, db, clock, broker, meta)
