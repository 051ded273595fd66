"""Web push subscriptions: the browsers a user registered for push, one row per endpoint.

An endpoint is one browser profile's push channel and belongs to whoever registered it first:
moving it to another account would let anyone who learns an endpoint take over (and silence)
another user's pushes (issue 17). Every write is audited and committed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.errors import Conflict, NotFound, ValidationFailed
from wakedock.netguard.urls import http_target
from wakedock.notifications.models import PushSubscription


async def subscribe(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str | None,
) -> PushSubscription:
    """Register (or refresh the keys of) this user's browser; 409 for another user's endpoint."""
    try:
        http_target(endpoint)
    except ValueError as exc:
        raise ValidationFailed(f"endpoint: {exc}", field="body.endpoint") from None
    row = (
        await session.scalars(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    ).first()
    if row is None:
        row = PushSubscription(
            endpoint=endpoint,
            user_id=user_id,
            p256dh=p256dh,
            auth=auth,
            user_agent=user_agent,
        )
        session.add(row)
    elif row.user_id != user_id:
        # Two accounts on one browser: the second unsubscribes the browser and subscribes
        # again, which yields a new endpoint (the web UI does this on this 409); the first's
        # row then ends at the push service's 404/410.
        raise Conflict(
            "This push endpoint is registered to another account; unsubscribe this browser "
            "and subscribe again",
            code="push_endpoint_taken",
        )
    else:  # the same user's browser re-subscribing: its keys may have changed
        row.p256dh, row.auth = p256dh, auth
    try:
        await session.flush()
    except IntegrityError:  # registered concurrently
        await session.rollback()
        raise Conflict(
            "This push endpoint was registered concurrently; try again",
            code="push_endpoint_taken",
        ) from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PUSH_SUBSCRIPTION_CREATE,
        resource_type="push_subscription",
        resource_id=row.id,
    )
    await session.commit()
    return row


async def list_for(session: AsyncSession, *, user_id: int) -> Sequence[PushSubscription]:
    return (
        await session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id))
    ).all()


async def unsubscribe(
    session: AsyncSession, *, actor: AuditActor, user_id: int, endpoint: str
) -> None:
    """Remove this user's registration of the endpoint (404 when they have none)."""
    result = await session.execute(
        delete(PushSubscription)
        .where(PushSubscription.endpoint == endpoint, PushSubscription.user_id == user_id)
        .returning(PushSubscription.id)
    )
    removed = result.scalars().all()
    if not removed:
        raise NotFound("Push subscription not found")
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PUSH_SUBSCRIPTION_DELETE,
        resource_type="push_subscription",
        resource_id=removed[0],
    )
    await session.commit()


async def first_for(session: AsyncSession, *, user_id: int) -> dict[str, Any] | None:
    """One of the user's subscriptions, as a web push test sends to it (None: they have none)."""
    sub = (
        await session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id))
    ).first()
    if sub is None:
        return None
    return {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
