"""Sending: turn a create request into stored notifications plus their deliveries, in one
transaction, then publish the live events after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.context import AuditActor
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.db.engine import write_gate
from wakedock.errors import Conflict, Forbidden, ValidationFailed
from wakedock.notifications import events, metrics, service
from wakedock.notifications.delivery import queue
from wakedock.notifications.models import NotificationSubscription
from wakedock.notifications.preferences import service as preferences
from wakedock.notifications.preferences.policy import Preferences, decide
from wakedock.notifications.schemas import NotificationCreate, Priority
from wakedock.notifications.service import Content, Created
from wakedock.notifications.templates import service as templates


async def content_from_request(
    session: AsyncSession, *, body: NotificationCreate, now: datetime, source: str
) -> tuple[Content, list[str]]:
    """Build the content (rendering the template if one is named); returns it and its channels."""
    ttl = body.ttl_seconds
    email_subject = email_html = None
    if body.template is not None:
        row = await templates.get_or_raise(session, name=body.template)
        rendered = templates.render_template(row, body.variables)
        title, message, action_url = (
            rendered.title,
            rendered.message,
            body.action_url or rendered.action_url,
        )
        kind = body.type.value if body.type else rendered.type
        priority = body.priority.value if body.priority else rendered.priority
        ttl = ttl if ttl is not None else rendered.ttl_seconds
        email_subject, email_html = rendered.email_subject, rendered.email_html
    else:
        assert body.title is not None
        title, message, action_url = body.title, body.message or "", body.action_url
        kind = body.type.value if body.type else "info"
        priority = body.priority.value if body.priority else Priority.NORMAL.value
    expires_at = body.expires_at
    if ttl is not None and expires_at is None:
        expires_at = now + timedelta(seconds=ttl)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("expires_at is in the past", field="body.expires_at")
    content = Content(
        title=title,
        message=message,
        type=kind,
        priority=priority,
        data=body.data,
        action_url=action_url,
        action_label=body.action_label,
        topic=body.topic,
        resource_id=body.resource_id,
        source=body.source or source,
        group_key=body.group_key,
        expires_at=expires_at,
        email_subject=email_subject,
        email_html=email_html,
    )
    return content, list(body.channels)


async def topic_subscribers(
    session: AsyncSession, *, topic: str, resource_id: str | None, type: str, priority: str
) -> tuple[list[int], set[str]]:
    """Active subscribers matching the topic (and resource), type and priority threshold;
    plus the channel names their subscriptions ask for."""
    from sqlalchemy import or_

    from wakedock.auth.models import User

    query = (
        select(NotificationSubscription)
        .join(User, User.id == NotificationSubscription.user_id)
        .where(
            NotificationSubscription.topic == topic,
            NotificationSubscription.is_active.is_(True),
            User.is_active.is_(True),
        )
    )
    if resource_id is None:
        query = query.where(NotificationSubscription.resource_id.is_(None))
    else:
        query = query.where(
            or_(
                NotificationSubscription.resource_id.is_(None),
                NotificationSubscription.resource_id == resource_id,
            )
        )
    users: set[int] = set()
    channels: set[str] = set()
    rank = Priority(priority).rank
    for sub in (await session.scalars(query)).all():
        if sub.notification_types is not None and type not in sub.notification_types:
            continue
        if rank < Priority(sub.priority_threshold).rank:
            continue
        users.add(sub.user_id)
        channels.update(sub.channels or ())
    return sorted(users), channels


async def deliver(
    session: AsyncSession,
    *,
    user_ids: Sequence[int],
    content: Content,
    now: datetime,
    sender_id: int | None,
    channel_names: Sequence[str] = (),
    idempotency_key: str | None = None,
    broadcast_id: int | None = None,
    known: preferences.Recipients | None = None,
) -> Created:
    """Insert for every recipient and plan every delivery. The caller audits and commits.

    ``known``: the recipients, if the caller read them already (``preferences.recipients``)."""
    named = await service.channels_by_name(session, channel_names)
    if known is None:
        known = await preferences.recipients(session, user_ids=list(user_ids))
    prefs = known.prefs
    # The socket's decision is made here too (queue.plan makes it again, the same way): a
    # notification pushed now takes its place in the user's live stream as it is inserted.
    pushed: set[int] = set()
    held: set[int] = set()
    for uid in user_ids:
        socket = decide(
            prefs.get(uid, Preferences()),
            channel="websocket",
            type=content.type,
            priority=content.priority,
            now=now,
        )
        if socket.now:
            pushed.add(uid)
        elif socket.allowed:
            held.add(uid)
    notifications, replaced = await service.insert_for(
        session,
        user_ids=user_ids,
        content=content,
        now=now,
        sender_id=sender_id,
        idempotency_key=idempotency_key,
        broadcast_id=broadcast_id,
        pushed=pushed,
        held=held,
    )
    email_parts = {
        k: v for k, v in (("subject", content.email_subject), ("html", content.email_html)) if v
    }
    plan = await queue.plan(
        session,
        notifications=notifications,
        preferences=prefs,
        now=now,
        named_channels=named,
        email_parts=email_parts,
        known=known,
    )
    caps = {uid: p.max_notifications for uid, p in prefs.items() if p.max_notifications}
    removed = await service.enforce_retention(session, caps=caps)
    metrics.NOTIFICATIONS_CREATED.labels(content.type, content.priority).inc(len(notifications))
    removed_ids = {nid for _, nid in removed}
    live = [n for n in plan.live if n.id not in removed_ids]
    kept = [n for n in notifications if n.id not in removed_ids]
    return Created(notifications=kept, replaced=replaced + removed, live=live)


async def publish(broker: Broker | None, created: Created) -> None:
    for user_id, notification_id in created.replaced:
        await events.deleted(broker, user_id=user_id, notification_id=notification_id)
    await events.created(broker, created.live, created.payloads)


async def create(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    body: NotificationCreate,
    now: datetime,
    broker: Broker | None,
) -> Created:
    """POST /api/notifications: resolve the target, store, plan deliveries, commit, publish.

    On SQLite the writes are one create at a time (``write_gate``), so the reads (template,
    recipients and their preferences) come before it: each statement is a trip to the
    connection's thread and back through the event loop, and the gate is held for every trip
    inside it. A user disabled or a preference changed between the read and the write is the
    same as a create that came just before that change. With an idempotency key, everything
    stays inside the gate: a repeated request answers with the original result before
    anything else is checked again.
    """
    if body.idempotency_key is None:
        target = await _resolve(session, principal=principal, body=body, now=now)
        async with write_gate(session):
            created = await _store(session, target, actor=actor, body=body, now=now)
    else:
        async with write_gate(session):
            existing = await service.find_idempotent(
                session, sender_id=principal.user_id, key=body.idempotency_key, now=now
            )
            if existing:
                await session.commit()
                return Created(notifications=existing, replaced=[], live=[], existing=True)
            target = await _resolve(session, principal=principal, body=body, now=now)
            created = await _store(session, target, actor=actor, body=body, now=now)
    if not created.existing:
        await publish(broker, created)
    return created


@dataclass(frozen=True, slots=True)
class _Target:
    """What a create request resolved to before anything is written."""

    sender_id: int
    content: Content
    channel_names: list[str]
    user_ids: list[int]
    known: preferences.Recipients


async def _resolve(
    session: AsyncSession, *, principal: Principal, body: NotificationCreate, now: datetime
) -> _Target:
    """Render the content, check the caller may send it, find the recipients (reads only)."""
    sender_id = principal.user_id
    content, channel_names = await content_from_request(
        session, body=body, now=now, source=body.source or principal.username
    )
    targets_others = (
        body.topic is not None
        or body.user_ids is not None
        or (body.user_id is not None and body.user_id != sender_id)
    )
    if targets_others and not principal.has(Permission.NOTIFICATIONS_SEND):
        raise Forbidden(
            "Sending to other users needs notifications:send",
            code="missing_permission",
            details={"missing": [Permission.NOTIFICATIONS_SEND.value]},
        )
    if channel_names and not principal.has(Permission.NOTIFICATIONS_SEND):
        raise Forbidden(
            "Naming delivery channels needs notifications:send",
            code="missing_permission",
            details={"missing": [Permission.NOTIFICATIONS_SEND.value]},
        )
    if body.topic is not None:
        user_ids, sub_channels = await topic_subscribers(
            session,
            topic=body.topic,
            resource_id=body.resource_id,
            type=content.type,
            priority=content.priority,
        )
        channel_names = list(dict.fromkeys([*channel_names, *sorted(sub_channels)]))
        known = await preferences.recipients(session, user_ids=user_ids)
        return _Target(sender_id, content, channel_names, user_ids, known)
    if body.user_ids is not None:
        user_ids, field = sorted(set(body.user_ids)), "user_ids"
    elif body.user_id is not None:
        user_ids, field = [body.user_id], "user_id"
    else:
        user_ids, field = [sender_id], None
    # Who they are, whether they are active, their preferences: one query.
    known = await preferences.recipients(session, user_ids=user_ids)
    missing = [uid for uid in user_ids if uid not in known.active]
    if missing and field is not None:
        raise ValidationFailed(f"Unknown or disabled user id(s): {missing}", field=f"body.{field}")
    return _Target(sender_id, content, channel_names, user_ids, known)


async def _store(
    session: AsyncSession,
    target: _Target,
    *,
    actor: AuditActor,
    body: NotificationCreate,
    now: datetime,
) -> Created:
    """Insert, plan deliveries, audit, commit."""
    content, channel_names, user_ids = target.content, target.channel_names, target.user_ids
    try:
        created = await deliver(
            session,
            user_ids=user_ids,
            content=content,
            now=now,
            sender_id=target.sender_id,
            channel_names=channel_names,
            idempotency_key=body.idempotency_key,
            known=target.known,
        )
        await audit.write(
            session,
            actor=actor,
            action="notification.create",
            resource_type="notification",
            resource_id=created.notifications[0].id if len(created.notifications) == 1 else None,
            details={
                "recipients": len(user_ids),
                "ids": [n.id for n in created.notifications][:100],
                "type": content.type,
                "priority": content.priority,
                "topic": content.topic,
                "channels": channel_names,
            },
        )
        await session.commit()
    except IntegrityError as exc:
        # A concurrent request with the same idempotency key won: answer with its result.
        await session.rollback()
        if body.idempotency_key is None:
            raise
        existing = await service.find_idempotent(
            session, sender_id=target.sender_id, key=body.idempotency_key, now=now
        )
        if not existing:
            raise Conflict(
                "Concurrent request with the same idempotency key", code="idempotency_conflict"
            ) from exc
        return Created(notifications=existing, replaced=[], live=[], existing=True)
    return created


__all__ = ["Preferences", "create", "deliver", "publish"]
