"""/api/notifications/preferences: the caller's delivery preferences."""

from __future__ import annotations

from fastapi import APIRouter

from wakedock.auth.dependencies import RequestMeta
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.notifications import events
from wakedock.notifications.dependencies import AppBroker, Reader
from wakedock.notifications.preferences import service, setup
from wakedock.notifications.preferences.schemas import PreferencesOut, PreferencesPatch

router = APIRouter(
    prefix="/api/notifications/preferences", tags=["preferences"], responses=ERROR_RESPONSES
)


@router.get("", summary="Your notification preferences (defaults where never set)")
async def get_preferences(principal: Reader, db: DbSession) -> PreferencesOut:
    return await service.read(db, user_id=principal.user_id)


@router.get(
    "/delivery-setup",
    summary="Whether e-mail and web push are configured on this server, and what is missing",
)
async def get_delivery_setup(_: Reader, db: DbSession) -> setup.DeliverySetup:
    return await setup.delivery_setup(db)


@router.put("", summary="Replace your preferences (fields left out return to their defaults)")
async def put_preferences(
    body: PreferencesPatch, principal: Reader, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> PreferencesOut:
    result = await service.update(
        db, actor=principal.acting(meta), user_id=principal.user_id, changes=body, replace_all=True
    )
    await events.preferences_changed(broker, user_id=principal.user_id)
    return result


@router.patch("", summary="Change some of your preferences")
async def patch_preferences(
    body: PreferencesPatch, principal: Reader, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> PreferencesOut:
    result = await service.update(
        db, actor=principal.acting(meta), user_id=principal.user_id, changes=body, replace_all=False
    )
    await events.preferences_changed(broker, user_id=principal.user_id)
    return result
