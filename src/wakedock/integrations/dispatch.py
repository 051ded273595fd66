"""Items to notifications: resolve the integration's target, store through the notifications
service, record the delivery and an audit event, commit, then publish.

A target is a topic (its subscribers, with their type and priority filters and the channels
their subscriptions add), roles (every active user holding one), or user ids (those still
active). Items go to the store together (``sending.deliver_many``: one statement per step), so
a firing alert and the resolved one of another fingerprint in one payload are one transaction;
two items with one group_key in a payload keep the last (``items.unique_keys``). A group_key
replaces the recipient's earlier notification with that key (``notifications.store``), which
is how an alert's resolved notification takes the place of its firing one.

The integration sends as the admin who created it (``sender_id``; NULL once that account is
deleted), and every delivery is audited as ``integration.deliver`` by ``integration:<name>``.
On SQLite the write takes the write gate like every create (reads before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import directory
from wakedock.broker import Broker
from wakedock.db.engine import write_gate
from wakedock.integrations import deliveries
from wakedock.integrations.items import Item, unique_keys
from wakedock.integrations.models import Integration
from wakedock.notifications import sending
from wakedock.notifications.preferences import service as preferences
from wakedock.notifications.store import Content, Created
from wakedock.notifications.subscriptions import channels as subscription_channels


@dataclass(frozen=True, slots=True)
class Inbound:
    """The request as received: for the delivery list (raw body) and the audit event."""

    body: bytes
    event: str | None = None
    delivery_id: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """The integration's values a delivery needs, read once (a rollback expires ORM rows)."""

    id: int
    name: str
    target: dict[str, Any]
    created_by: int | None

    @classmethod
    def of(cls, row: Integration) -> Source:
        return cls(row.id, row.name, dict(row.target), row.created_by)


def actor(source: Source, meta: AuditActor | None = None) -> AuditActor:
    return AuditActor(
        user_id=None,
        username=f"integration:{source.name}"[:128],
        ip=meta.ip if meta else None,
        user_agent=meta.user_agent if meta else None,
    )


def _content(source: Source, item: Item) -> Content:
    return Content(
        title=item.title,
        message=item.message,
        type=item.type,
        priority=item.priority,
        data=item.data,
        action_url=item.action_url,
        action_label=None,
        topic=source.target.get("topic"),
        resource_id=None,
        source=source.name,
        group_key=item.group_key,
        expires_at=None,
        email_subject=None,
        email_html=None,
    )


async def _send(session: AsyncSession, source: Source, item: Item, now: datetime) -> sending.Send:
    """Who gets ``item`` (reads only) and what they get."""
    target = source.target
    content = _content(source, item)
    channels_for = None
    if target.get("topic"):
        user_ids, wanted = await sending.topic_subscribers(
            session, topic=target["topic"], resource_id=None, type=item.type, priority=item.priority
        )
        channels_for = await subscription_channels.reached(session, wanted)
    elif target.get("roles"):
        user_ids = list((await session.scalars(directory.audience(roles=target["roles"]))).all())
    else:
        active = await directory.active_ids(session, user_ids=target.get("user_ids") or [])
        user_ids = sorted(active)
    known = await preferences.recipients(session, user_ids=user_ids)
    return sending.Send(
        user_ids,
        content,
        source.created_by,
        known,
        now,
        channels_for=channels_for,
    )


async def deliver(
    session: AsyncSession,
    *,
    integration: Integration,
    items: Sequence[Item],
    inbound: Inbound,
    meta: AuditActor | None,
    now: datetime,
    broker: Broker | None,
    status: str = "delivered",
) -> int:
    """Store ``items`` for the target, record the delivery, audit, commit, publish; returns
    how many notifications were created."""
    kept = unique_keys(list(items))
    source = Source.of(integration)
    for attempt in range(2):
        sends = [await _send(session, source, item, now) for item in kept]
        try:
            created = await _store(session, source, sends, kept, inbound, meta, now, status)
            break
        except IntegrityError:
            # A recipient was deleted between the reads and the write: read them again.
            await session.rollback()
            if attempt:
                raise
    for done in created:
        await sending.publish(broker, done)
    return sum(len(c.notifications) for c in created)


async def _store(
    session: AsyncSession,
    source: Source,
    sends: Sequence[sending.Send],
    kept: Sequence[Item],
    inbound: Inbound,
    meta: AuditActor | None,
    now: datetime,
    status: str,
) -> list[Created]:
    """Insert, record the delivery, audit and commit, in one transaction (the write gate held)."""
    integration_id, name = source.id, source.name
    async with write_gate(session):
        created = await sending.deliver_many(session, [s for s in sends if s.user_ids])
        count = sum(len(c.notifications) for c in created)
        deliveries.add(
            session,
            integration_id=integration_id,
            now=now,
            status=status if kept else "ignored",
            status_code=200 if kept else 202,
            body=inbound.body,
            event=inbound.event,
            delivery_id=inbound.delivery_id,
            notifications=count,
        )
        await deliveries.trim(session, integration_id=integration_id)
        audit.record(
            session,
            actor=actor(source, meta),
            action=AuditAction.INTEGRATION_DELIVER,
            resource_type="integration",
            resource_id=integration_id,
            details={
                "integration": name,
                "event": inbound.event,
                "items": len(kept),
                "notifications": count,
                "ids": [n.id for c in created for n in c.notifications][:100],
            },
        )
        await session.commit()
    return created


async def record(
    session: AsyncSession,
    *,
    integration: Integration,
    inbound: Inbound,
    meta: AuditActor | None,
    now: datetime,
    status: str,
    status_code: int,
    error: str | None = None,
) -> None:
    """Keep a delivery that sent nothing (ignored, a payload that failed), with its audit
    event."""
    source = Source.of(integration)
    integration_id, name = source.id, source.name
    async with write_gate(session):
        deliveries.add(
            session,
            integration_id=integration_id,
            now=now,
            status=status,
            status_code=status_code,
            body=inbound.body,
            event=inbound.event,
            delivery_id=inbound.delivery_id,
            error=error,
        )
        await deliveries.trim(session, integration_id=integration_id)
        audit.record(
            session,
            actor=actor(source, meta),
            action=AuditAction.INTEGRATION_DELIVER,
            resource_type="integration",
            resource_id=integration_id,
            success=status != "failed",
            details={"integration": name, "event": inbound.event, "status": status, "error": error},
        )
        await session.commit()
