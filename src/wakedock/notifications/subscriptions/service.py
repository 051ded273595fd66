"""Topic subscriptions: a user asks for notifications about a topic (and resource)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth.principal import Principal
from wakedock.errors import Conflict, NotFound
from wakedock.notifications.models import NotificationSubscription
from wakedock.notifications.subscriptions import channels
from wakedock.notifications.subscriptions.schemas import SubscriptionIn, SubscriptionPatch
from wakedock.notifications.topics import service as topic_access


async def list_for_user(
    session: AsyncSession, *, user_id: int
) -> Sequence[NotificationSubscription]:
    query = (
        select(NotificationSubscription)
        .where(NotificationSubscription.user_id == user_id)
        .order_by(NotificationSubscription.id)
    )
    return (await session.scalars(query)).all()


async def get_own(
    session: AsyncSession, *, user_id: int, subscription_id: int
) -> NotificationSubscription:
    row = await session.get(NotificationSubscription, subscription_id)
    if row is None or row.user_id != user_id:
        raise NotFound("Subscription not found")
    return row


def _types(values: list[object] | None) -> list[str] | None:
    return None if values is None else sorted({str(v) for v in values})


async def create(
    session: AsyncSession, *, actor: AuditActor, principal: Principal, data: SubscriptionIn
) -> NotificationSubscription:
    """Subscribe the caller; the channels it names must be ones it may name (``channels``)."""
    user_id = principal.user_id
    # The topic's access rule (``topics``): a subscriber it excludes is refused here, and one
    # it excludes later stops receiving at delivery (the subscription stays).
    await topic_access.check_subscribe(session, principal, [data.topic])
    if data.channels:
        await channels.check_nameable(session, data.channels, principal=principal)
    duplicate = await session.scalar(
        select(NotificationSubscription.id).where(
            NotificationSubscription.user_id == user_id,
            NotificationSubscription.topic == data.topic,
            NotificationSubscription.resource_id.is_(None)
            if data.resource_id is None
            else NotificationSubscription.resource_id == data.resource_id,
        )
    )
    if duplicate is not None:
        raise Conflict(
            "You already subscribe to this topic and resource", code="subscription_exists"
        )
    row = NotificationSubscription(
        user_id=user_id,
        topic=data.topic,
        resource_id=data.resource_id,
        notification_types=_types(
            list(data.notification_types) if data.notification_types else None
        ),
        priority_threshold=str(data.priority_threshold),
        channels=data.channels,
        is_active=data.is_active,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            "You already subscribe to this topic and resource", code="subscription_exists"
        ) from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SUBSCRIPTION_CREATE,
        resource_type="notification_subscription",
        resource_id=row.id,
        details={"topic": row.topic, "resource_id": row.resource_id},
    )
    await session.commit()
    return row


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    principal: Principal,
    subscription_id: int,
    changes: SubscriptionPatch,
) -> NotificationSubscription:
    row = await get_own(session, user_id=principal.user_id, subscription_id=subscription_id)
    given = changes.model_dump(exclude_unset=True)
    if given.get("channels"):
        await channels.check_nameable(session, given["channels"], principal=principal)
    if "notification_types" in given:
        row.notification_types = _types(given["notification_types"])
    if given.get("priority_threshold") is not None:
        row.priority_threshold = str(given["priority_threshold"])
    if "channels" in given:
        row.channels = given["channels"]
    if given.get("is_active") is not None:
        row.is_active = bool(given["is_active"])
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SUBSCRIPTION_UPDATE,
        resource_type="notification_subscription",
        resource_id=row.id,
        details={"fields": sorted(given)},
    )
    await session.commit()
    await session.refresh(row)
    return row


async def delete(
    session: AsyncSession, *, actor: AuditActor, user_id: int, subscription_id: int
) -> None:
    row = await get_own(session, user_id=user_id, subscription_id=subscription_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SUBSCRIPTION_DELETE,
        resource_type="notification_subscription",
        resource_id=row.id,
    )
    await session.delete(row)
    await session.commit()
