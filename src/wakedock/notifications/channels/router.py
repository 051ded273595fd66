"""/api/notifications/channels (notifications:admin) and the caller's web push subscriptions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from wakedock.auth import service as users
from wakedock.auth.dependencies import RequestMeta
from wakedock.bounds import IdParam
from wakedock.dependencies import AppSettings, DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.netguard import policy_for
from wakedock.notifications.channels import push_subscriptions, service
from wakedock.notifications.channels.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ChannelTestResult,
    PushSubscriptionDelete,
    PushSubscriptionIn,
    PushSubscriptionOut,
    VapidKey,
)
from wakedock.notifications.dependencies import NotificationsAdmin, Reader
from wakedock.notifications.states import ChannelKind

router = APIRouter(
    prefix="/api/notifications/channels", tags=["channels"], responses=ERROR_RESPONSES
)
push_router = APIRouter(prefix="/api/notifications", tags=["web push"], responses=ERROR_RESPONSES)


@router.get("", summary="List delivery channels (secrets never shown)")
async def list_channels(_: NotificationsAdmin, db: DbSession) -> list[ChannelOut]:
    return [service.to_out(r) for r in await service.list_channels(db)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Configure a delivery channel")
async def create_channel(
    body: ChannelIn,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    settings: AppSettings,
) -> ChannelOut:
    return service.to_out(
        await service.create(db, actor=admin.acting(meta), data=body, keyring=settings.keyring)
    )


@router.get("/{channel_id:int}", summary="Get a channel")
async def get_channel(channel_id: IdParam, _: NotificationsAdmin, db: DbSession) -> ChannelOut:
    return service.to_out(await service.get_or_raise(db, channel_id=channel_id))


@router.patch("/{channel_id:int}", summary="Change a channel (omitted secrets are kept)")
async def update_channel(
    channel_id: IdParam,
    body: ChannelPatch,
    admin: NotificationsAdmin,
    db: DbSession,
    meta: RequestMeta,
    settings: AppSettings,
) -> ChannelOut:
    return service.to_out(
        await service.update(
            db,
            actor=admin.acting(meta),
            channel_id=channel_id,
            changes=body,
            keyring=settings.keyring,
        )
    )


@router.delete(
    "/{channel_id:int}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a channel"
)
async def delete_channel(
    channel_id: IdParam, admin: NotificationsAdmin, db: DbSession, meta: RequestMeta
) -> Response:
    await service.delete(db, actor=admin.acting(meta), channel_id=channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{channel_id:int}/test", summary="Send a test message now and report the outcome")
async def test_channel(
    channel_id: IdParam,
    admin: NotificationsAdmin,
    db: DbSession,
    settings: AppSettings,
    meta: RequestMeta,
) -> ChannelTestResult:
    extra = {}
    row = await service.get_or_raise(db, channel_id=channel_id)
    account = await users.get_or_raise(db, user_id=admin.user_id)
    if row.type == ChannelKind.WEBPUSH:
        subscription = await push_subscriptions.first_for(db, user_id=admin.user_id)
        if subscription is None:
            return ChannelTestResult(
                ok=False, error="you have no web push subscription to test with", duration_ms=0
            )
        extra = {"subscription": subscription}
    return await service.send_test(
        db,
        actor=admin.acting(meta),
        channel_id=channel_id,
        recipient_email=account.email,
        recipient_name=account.username,
        policy=policy_for(settings),
        keyring=settings.keyring,
        extra=extra,
    )


@push_router.get("/push/vapid-public-key", summary="The VAPID public key browsers subscribe with")
async def vapid_public_key(_: Reader, db: DbSession, settings: AppSettings) -> VapidKey:
    row = await service.webpush_channel(
        db, subject=f"mailto:{settings.admin_email}", keyring=settings.keyring
    )
    assert row is not None
    return VapidKey(public_key=str(row.config["vapid_public_key"]))


@push_router.post(
    "/push-subscriptions",
    status_code=status.HTTP_201_CREATED,
    summary="Register this browser for web push",
)
async def add_push_subscription(
    body: PushSubscriptionIn, principal: Reader, db: DbSession, meta: RequestMeta
) -> PushSubscriptionOut:
    row = await push_subscriptions.subscribe(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        user_agent=meta.user_agent,
    )
    return PushSubscriptionOut(id=row.id, endpoint=row.endpoint, created_at=row.created_at)


@push_router.get("/push-subscriptions", summary="List your web push subscriptions")
async def list_push_subscriptions(principal: Reader, db: DbSession) -> list[PushSubscriptionOut]:
    rows = await push_subscriptions.list_for(db, user_id=principal.user_id)
    return [
        PushSubscriptionOut(id=r.id, endpoint=r.endpoint, created_at=r.created_at) for r in rows
    ]


@push_router.delete(
    "/push-subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unregister a browser from web push",
)
async def delete_push_subscription(
    body: PushSubscriptionDelete, principal: Reader, db: DbSession, meta: RequestMeta
) -> Response:
    await push_subscriptions.unsubscribe(
        db, actor=principal.acting(meta), user_id=principal.user_id, endpoint=body.endpoint
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
