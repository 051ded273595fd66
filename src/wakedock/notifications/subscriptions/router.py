"""/api/notifications/subscriptions: the caller's topic subscriptions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.bounds import IdParam
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications.dependencies import Reader
from wakedock.notifications.subscriptions import service
from wakedock.notifications.subscriptions.schemas import (
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)

router = APIRouter(
    prefix="/api/notifications/subscriptions", tags=["subscriptions"], responses=ERROR_RESPONSES
)


@router.get("", summary="List your topic subscriptions")
async def list_subscriptions(principal: Reader, db: DbSession) -> list[SubscriptionOut]:
    rows = await service.list_for_user(db, user_id=principal.user_id)
    return [SubscriptionOut.model_validate(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Subscribe to a topic")
async def create_subscription(
    body: SubscriptionIn, principal: Reader, db: DbSession, meta: RequestMeta
) -> SubscriptionOut:
    row = await service.create(db, actor=principal.acting(meta), principal=principal, data=body)
    return SubscriptionOut.model_validate(row)


@router.patch("/{subscription_id:int}", summary="Change a subscription")
async def update_subscription(
    subscription_id: IdParam,
    body: SubscriptionPatch,
    principal: Reader,
    db: DbSession,
    meta: RequestMeta,
) -> SubscriptionOut:
    row = await service.update(
        db,
        actor=principal.acting(meta),
        principal=principal,
        subscription_id=subscription_id,
        changes=body,
    )
    return SubscriptionOut.model_validate(row)


@router.delete(
    "/{subscription_id:int}", status_code=status.HTTP_204_NO_CONTENT, summary="Unsubscribe"
)
async def delete_subscription(
    subscription_id: IdParam, principal: Reader, db: DbSession, meta: RequestMeta
) -> Response:
    await service.delete(
        db, actor=principal.acting(meta), user_id=principal.user_id, subscription_id=subscription_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
