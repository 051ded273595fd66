"""Sending: turn a create request into stored notifications plus their deliveries, in one
transaction, then publish the live events after the commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock import wording
from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import directory
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.db.engine import write_gate
from wakedock.db.group_commit import GroupCommit
from wakedock.errors import Conflict, Forbidden, Unauthorized, ValidationFailed, WakeDockError
from wakedock.notifications import events, metrics, store
from wakedock.notifications.content import render_named, resolve_content
from wakedock.notifications.delivery import queue
from wakedock.notifications.models import (
    NotificationChannel,
    NotificationSubscription,
    TopicAccessRule,
)
from wakedock.notifications.preferences import service as preferences
from wakedock.notifications.preferences.policy import Decision, Decisions, Preferences
from wakedock.notifications.schemas import NotificationCreate, Priority, priority_rank
from wakedock.notifications.states import DeliveryChannel
from wakedock.notifications.store import Content, Created
from wakedock.notifications.subscriptions import channels as subscription_channels
from wakedock.notifications.templates.pool import TemplateRenderer
from wakedock.notifications.templates.schemas import Rendered
from wakedock.notifications.topics import service as topic_access
from wakedock.notifications.topics.rules import Rule


async def content_from_request(
    session: AsyncSession,
    *,
    body: NotificationCreate,
    now: datetime,
    source: str,
    renderer: TemplateRenderer | None = None,
    rendered: Rendered | None = None,
) -> tuple[Content, list[str]]:
    """Build the content (rendering the template if one is named and ``rendered`` is not
    given); returns it and its channels."""
    resolved = await resolve_content(session, body=body, renderer=renderer, rendered=rendered)
    ttl = resolved.ttl_seconds
    expires_at = body.expires_at
    if ttl is not None and expires_at is None:
        expires_at = now + timedelta(seconds=ttl)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("expires_at is in the past", field="body.expires_at")
    content = Content(
        title=resolved.title,
        message=resolved.message,
        type=resolved.type,
        priority=resolved.priority,
        data=body.data,
        action_url=resolved.action_url,
        action_label=body.action_label,
        topic=body.topic,
        resource_id=body.resource_id,
        source=body.source or source,
        group_key=body.group_key,
        expires_at=expires_at,
        email_subject=resolved.email_subject,
        email_html=resolved.email_html,
    )
    return content, list(body.channels)


class _Unread:
    """``topic_subscribers`` reads the topic's rule itself."""


_UNREAD = _Unread()


def _subscribers_query(
    *, with_resource: bool
) -> Select[int, list[str] | None, str, list[str] | None]:
    """A topic's active subscriptions of active users: the columns the checks read (built
    once: a publish to a topic runs it every time)."""
    sub, accounts = NotificationSubscription, directory.ACCOUNTS
    query = (
        select(sub.user_id, sub.notification_types, sub.priority_threshold, sub.channels)
        .join(accounts, accounts.c.id == sub.user_id)
        .where(
            sub.topic == bindparam("topic"),
            sub.is_active.is_(True),
            accounts.c.is_active.is_(True),
        )
    )
    if not with_resource:
        return query.where(sub.resource_id.is_(None))
    return query.where(or_(sub.resource_id.is_(None), sub.resource_id == bindparam("resource_id")))


_TOPIC_SUBSCRIBERS = _subscribers_query(with_resource=False)
_RESOURCE_SUBSCRIBERS = _subscribers_query(with_resource=True)


_rules = TopicAccessRule.__table__
_subscriptions = NotificationSubscription.__table__


def _topic_query(*, with_resource: bool, anchor: Any = None) -> Any:
    """A topic's rule, and its active subscriptions of active users with each one's recipient
    columns (``preferences.RECIPIENT_COLUMNS``): what a topic send reads, in one round trip
    instead of three (rule, subscribers, recipients). Always one row at least: a one-row
    anchor (``anchor``, else a ``SELECT 1``), outer joined to the rule (nulls: the default
    rule) and to the subscribers (nulls: none). Built once per shape."""
    sub, accounts = _subscriptions, directory.ACCOUNTS
    if anchor is None:
        anchor = select(literal_column("1").label("one")).subquery("anchor")
    matching = [
        sub.c.topic == bindparam("topic"),
        sub.c.is_active.is_(True),
        sub.c.resource_id.is_(None)
        if not with_resource
        else or_(sub.c.resource_id.is_(None), sub.c.resource_id == bindparam("resource_id")),
    ]
    # One flat chain of outer joins (a nested join on the right of an outer join is a
    # subquery SQLite fills first): a subscription of an inactive user comes with a null
    # account, a row ``topic_send_of`` skips as it skips the anchor's.
    joined = (
        anchor.outerjoin(_rules, _rules.c.topic == bindparam("topic"))
        .outerjoin(sub, and_(*matching))
        .outerjoin(accounts, and_(accounts.c.id == sub.c.user_id, accounts.c.is_active.is_(True)))
    )
    return select(
        _rules.c.topic,
        _rules.c.publish_roles,
        _rules.c.subscribe_roles,
        _rules.c.anonymous_publish,
        sub.c.notification_types,
        sub.c.priority_threshold,
        sub.c.channels,
        *preferences.RECIPIENT_COLUMNS,
    ).select_from(preferences.with_preferences(joined))


_TOPIC = _topic_query(with_resource=False)
_TOPIC_RESOURCE = _topic_query(with_resource=True)
_RECIPIENT_AT = 7  # where a row of ``_topic_query`` has its recipient columns


@dataclass(frozen=True, slots=True)
class TopicSend:
    """What a send to a topic reads before it is checked (``topic_send``)."""

    rule: Rule | None
    user_ids: list[int]  # the matching subscribers, before the rule's subscribe check
    channels: dict[int, set[str]]
    known: preferences.Recipients


async def topic_send(
    session: AsyncSession, *, topic: str, resource_id: str | None, type: str, priority: str
) -> TopicSend:
    """``topic_subscribers`` and their ``preferences.recipients``, with the topic's rule, in
    one round trip (``_topic_query``). The rule's subscribe check is the caller's
    (``topic_access.allowed_subscribers``, then ``TopicSend.keeping``)."""
    if resource_id is None:
        result = await session.execute(_TOPIC, {"topic": topic})
    else:
        result = await session.execute(
            _TOPIC_RESOURCE, {"topic": topic, "resource_id": resource_id}
        )
    return topic_send_of(result.all(), topic=topic, type=type, priority=priority)


def topic_read_at(anchor: Any) -> Any:
    """A topic's read without a resource (parameter ``topic``) whose one-row anchor is
    ``anchor`` (a from clause of one row: an ntfy publish's token, ``api_tokens.beside``),
    for a caller that reads both in one statement and gives the rows to ``create``
    (``TopicRead``): the columns of ``_TOPIC``, in its order."""
    return _topic_query(with_resource=False, anchor=anchor)


@dataclass(frozen=True, slots=True)
class TopicRead:
    """The rows of ``topic_read_at``'s query for ``topic``, read by the caller in this
    session (each with ``_TOPIC``'s columns)."""

    topic: str
    rows: Sequence[Sequence[Any]]


def topic_send_of(
    rows: Sequence[Sequence[Any]], *, topic: str, type: str, priority: str
) -> TopicSend:
    """``topic_send`` from the rows of ``_topic_query`` (at least one: the anchor's)."""
    first = rows[0]
    rule = None if first[0] is None else topic_access.rule_of(topic, *first[1:4])
    users: set[int] = set()
    channels: dict[int, set[str]] = {}
    known = preferences.Recipients()
    alike: dict[Any, Preferences] = {}
    rank = priority_rank(priority)
    for row in rows:
        user_id = row[_RECIPIENT_AT]
        if user_id is None:  # the anchor's row: no subscriber
            continue
        types, threshold, sub_channels = row[4:7]
        if types is not None and type not in types:
            continue
        if rank < priority_rank(threshold):
            continue
        users.add(user_id)
        if sub_channels:
            channels.setdefault(user_id, set()).update(sub_channels)
        preferences.add_recipient(known, row[_RECIPIENT_AT:], alike)
    return TopicSend(rule, sorted(users), channels, known)


def _keeping(
    found: TopicSend, allowed: list[int]
) -> tuple[dict[int, set[str]], preferences.Recipients]:
    """The subscribers' channels and recipients, for ``allowed`` of them only."""
    channels = {uid: found.channels[uid] for uid in allowed if uid in found.channels}
    if len(allowed) == len(found.user_ids):
        return channels, found.known
    keep = set(allowed)
    known = found.known
    return channels, preferences.Recipients(
        prefs={uid: p for uid, p in known.prefs.items() if uid in keep},
        active=known.active & keep,
        with_push=known.with_push & keep,
        email_channel_id=known.email_channel_id if keep else None,
    )


async def topic_subscribers(
    session: AsyncSession,
    *,
    topic: str,
    resource_id: str | None,
    type: str,
    priority: str,
    rule: Rule | _Unread | None = _UNREAD,
) -> tuple[list[int], dict[int, set[str]]]:
    """Active subscribers matching the topic (and resource), type and priority threshold, that
    the topic's access rule lets receive (``rule``, read here unless given); plus, per
    subscriber, the channel names their matching subscriptions ask for (for their own copy
    only: see ``subscriptions.channels``)."""
    if isinstance(rule, _Unread):
        rule = await topic_access.rule_for(session, topic)

    if resource_id is None:
        rows = await session.execute(_TOPIC_SUBSCRIBERS, {"topic": topic})
    else:
        rows = await session.execute(
            _RESOURCE_SUBSCRIBERS, {"topic": topic, "resource_id": resource_id}
        )
    users: set[int] = set()
    channels: dict[int, set[str]] = {}
    rank = Priority(priority).rank
    for user_id, types, threshold, sub_channels in rows.all():
        if types is not None and type not in types:
            continue
        if rank < Priority(threshold).rank:
            continue
        users.add(user_id)
        if sub_channels:
            channels.setdefault(user_id, set()).update(sub_channels)
    allowed = await topic_access.allowed_subscribers(session, rule, sorted(users))
    return allowed, {uid: channels[uid] for uid in allowed if uid in channels}


@dataclass(frozen=True, slots=True)
class Send:
    """One create, resolved: what goes to whom, and the recipients as read already."""

    user_ids: Sequence[int]
    content: Content
    sender_id: int | None
    known: preferences.Recipients
    now: datetime
    named_channels: Sequence[NotificationChannel] = ()
    idempotency_key: str | None = None
    broadcast_id: int | None = None
    # Channels a recipient's own topic subscriptions add to their copy, by user id.
    channels_for: Mapping[int, Sequence[NotificationChannel]] | None = None
    # A topic send: each named channel gets one announcement (as a broadcast's), not one copy
    # per subscriber, and gets it with no subscriber at all.
    announce: bool = False


async def deliver(
    session: AsyncSession,
    *,
    user_ids: Sequence[int],
    content: Content,
    now: datetime,
    sender_id: int | None,
    channel_names: Sequence[str] = (),
    broadcast_id: int | None = None,
) -> Created:
    """Insert for every recipient and plan every delivery. The caller audits and commits."""
    named = await store.channels_by_name(session, channel_names)
    known = await preferences.recipients(session, user_ids=list(user_ids))
    send = Send(user_ids, content, sender_id, known, now, named, broadcast_id=broadcast_id)
    return (await deliver_many(session, [send]))[0]


async def deliver_many(
    session: AsyncSession, sends: Sequence[Send], *, by_user: bool = False
) -> list[Created]:
    """``deliver`` for several creates, as if one after the other, in one statement per step
    (see ``store.insert_for``: two of them must not share a group_key; ``by_user``)."""
    inserts = []
    for send in sends:
        # The socket's decision is made here too (queue.plan makes it again, the same way): a
        # notification pushed now takes its place in the user's live stream as it is inserted.
        pushed: set[int] = set()
        held: set[int] = set()
        decide, unset = Decisions(send.now), Preferences()  # once per distinct preferences
        sockets: dict[int, Decision] = {}  # by preferences object: recipients share them
        for uid in send.user_ids:
            prefs = send.known.prefs.get(uid, unset)
            socket = sockets.get(id(prefs))
            if socket is None:
                socket = sockets[id(prefs)] = decide(
                    prefs,
                    channel=DeliveryChannel.WEBSOCKET,
                    type=send.content.type,
                    priority=send.content.priority,
                )
            if socket.now:
                pushed.add(uid)
            elif socket.allowed:
                held.add(uid)
        inserts.append(
            store.Insert(
                send.user_ids,
                send.content,
                send.sender_id,
                send.now,
                pushed=pushed,
                held=held,
                idempotency_key=send.idempotency_key,
                broadcast_id=send.broadcast_id,
            )
        )
    inserted = await store.insert_for(session, inserts, by_user=by_user)
    plans = []
    caps: dict[int, int] = {}
    for send, (notifications, _) in zip(sends, inserted, strict=True):
        content = send.content
        email_parts = {
            k: v for k, v in (("subject", content.email_subject), ("html", content.email_html)) if v
        }
        plan = await queue.plan(
            session,
            notifications=notifications,
            preferences=send.known.prefs,
            now=send.now,
            named_channels=() if send.announce else send.named_channels,
            channels_for=send.channels_for,
            email_parts=email_parts,
            known=send.known,
            kind=(content.type, content.priority),
        )
        if send.announce:
            plan.jobs.extend(queue.announcements(content, send.named_channels, now=send.now))
        plans.append(plan)
        caps.update(
            (uid, p.max_notifications) for uid, p in send.known.prefs.items() if p.max_notifications
        )
        metrics.NOTIFICATIONS_CREATED.labels(content.type, content.priority).inc(len(notifications))
    await queue.enqueue(session, [job for plan in plans for job in plan.jobs])
    removed = await store.enforce_retention(session, caps=caps)
    # As if one after the other: each removal is reported by the last create concerning its
    # user, whose events are published after the others'. Its own notifications are that
    # user's newest, which retention (a cap is at least 1) never removes; an earlier one's may
    # be, and it is answered and published like one a later create removed.
    reporter: dict[int, int] = {}
    for index, (notifications, _) in enumerate(inserted if removed else ()):
        reporter.update((n.user_id, index) for n in notifications)
    results = []
    for index, (plan, (notifications, replaced)) in enumerate(zip(plans, inserted, strict=True)):
        reported = [(uid, nid) for uid, nid in removed if reporter.get(uid) == index]
        results.append(
            Created(notifications=notifications, replaced=replaced + reported, live=plan.live)
        )
    return results


async def publish(broker: Broker | None, created: Created, *, just_created: bool = False) -> None:
    """The create's events; ``just_created``: made by ``create`` from a request whose ``data``
    the request's bounds held (``NotificationCreate``), so its shapes skip that walk."""
    for user_id, notification_id in created.replaced:
        await events.deleted(broker, user_id=user_id, notification_id=notification_id)
    await events.created(broker, created.live, created.payloads, just_created=just_created)


async def create(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    body: NotificationCreate,
    now: datetime,
    broker: Broker | None,
    renderer: TemplateRenderer | None = None,
    sender: preferences.Recipients | None = None,
    topic_read: TopicRead | None = None,
) -> Created:
    """POST /api/notifications: resolve the target, store, plan deliveries, commit, publish.

    On SQLite the writes take turns (``write_gate``), so the reads (template, channels,
    recipients and their preferences) come before it, and the creates that wait for their turn
    are written together (``db.group_commit``). A user disabled or a preference changed
    between the read and the write is the same as a create that came just before that change.
    With an idempotency key, everything stays inside the gate: a repeated request answers with
    the original result before anything else is checked again. A named template is rendered
    before the gate (a render may take up to its deadline: writers must not wait for it), and
    a failure to render is reported only once the request is known not to be a replay.

    ``sender``: the sender as a recipient, read with its credentials in this session (a Gotify
    application's token), for a create to the sender alone (no target named); ``topic_read``:
    the topic's rule and subscribers, read with the credentials (an ntfy publish), for a send
    to that topic. Neither is read again (on a retry after a deletion, both are).
    """
    if body.idempotency_key is None:
        send = await _resolve(
            session,
            principal=principal,
            body=body,
            now=now,
            renderer=renderer,
            sender=sender,
            topic_read=topic_read,
        )
        try:
            return await _CREATES.submit(session, _Create(send, actor, broker))
        except IntegrityError:
            await session.rollback()
        # A recipient or a channel was deleted between the reads and the write (nothing else
        # can fail a reference): read again, and the create is answered as one that came just
        # after the deletion (422 for a user it names; a topic goes to the subscribers left).
        send = await _resolve(session, principal=principal, body=body, now=now, renderer=renderer)
        return await _CREATES.submit(session, _Create(send, actor, broker))
    rendered: Rendered | None = None
    failure: WakeDockError | None = None
    try:
        rendered = await render_named(session, body=body, renderer=renderer)
    except WakeDockError as exc:
        failure = exc
    async with write_gate(session):
        existing = await store.find_idempotent(
            session, sender_id=principal.user_id, key=body.idempotency_key, now=now
        )
        if existing:
            await session.commit()
            return Created(notifications=existing, replaced=[], live=[], existing=True)
        if failure is not None:
            raise failure
        for attempt in range(2):
            send = await _resolve(
                session, principal=principal, body=body, now=now, rendered=rendered
            )
            try:
                (created,) = await _store(session, [_Create(send, actor, broker)])
                break
            except IntegrityError as exc:
                await session.rollback()
                # A concurrent request with the same idempotency key won: answer with its
                # result. Else a recipient or channel was deleted meanwhile, as above.
                existing = await store.find_idempotent(
                    session, sender_id=principal.user_id, key=body.idempotency_key, now=now
                )
                if existing:
                    return Created(notifications=existing, replaced=[], live=[], existing=True)
                if attempt:
                    raise Conflict(
                        "Concurrent request with the same idempotency key",
                        code="idempotency_conflict",
                    ) from exc
    await publish(broker, created, just_created=True)
    return created


@dataclass(frozen=True, slots=True)
class _Create:
    """A create request, resolved, on its way to be stored."""

    send: Send
    actor: AuditActor
    broker: Broker | None


async def _resolve(
    session: AsyncSession,
    *,
    principal: Principal,
    body: NotificationCreate,
    now: datetime,
    renderer: TemplateRenderer | None = None,
    rendered: Rendered | None = None,
    sender: preferences.Recipients | None = None,
    topic_read: TopicRead | None = None,
) -> Send:
    """Render the content (unless given), check the caller may send it, find the recipients
    and the channels it names (reads only; what the caller read already given: the sender's
    own row as ``sender``, for a create to the sender alone; the topic's as ``topic_read``)."""
    sender_id = None if principal.is_anonymous else principal.user_id
    content, channel_names = await content_from_request(
        session,
        body=body,
        now=now,
        source=body.source or principal.username,
        renderer=renderer,
        rendered=rendered,
    )
    found: TopicSend | None = None
    if body.topic is not None:
        # The topic's rule decides (notifications:send, its roles, anonymous publishing); read
        # with its subscribers and their preferences, all of which a topic send needs.
        if topic_read is not None and topic_read.topic == body.topic and body.resource_id is None:
            found = topic_send_of(
                topic_read.rows, topic=body.topic, type=content.type, priority=content.priority
            )
        else:
            found = await topic_send(
                session,
                topic=body.topic,
                resource_id=body.resource_id,
                type=content.type,
                priority=content.priority,
            )
        topic_access.check_publish(found.rule, principal, body.topic)
    targets_others = body.user_ids is not None or (
        body.user_id is not None and body.user_id != sender_id
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
    channels_for: dict[int, list[NotificationChannel]] | None = None
    if found is not None:
        user_ids = await topic_access.allowed_subscribers(session, found.rule, found.user_ids)
        sub_channels, known = _keeping(found, user_ids)
        channels_for = await subscription_channels.reached(session, sub_channels)
    else:
        if body.user_ids is not None:
            user_ids, field = sorted(set(body.user_ids)), "user_ids"
        elif body.user_id is not None:
            user_ids, field = [body.user_id], "user_id"
        else:
            if sender_id is None:  # anonymous: only a topic an admin opened
                raise Unauthorized("Sending without credentials needs an open topic")
            user_ids, field = [sender_id], None
        # Who they are, whether they are active, their preferences: one query (or none: the
        # sender alone, read already).
        if field is None and sender is not None and sender_id in sender.prefs:
            known = sender
        else:
            known = await preferences.recipients(session, user_ids=user_ids)
        missing = [uid for uid in user_ids if uid not in known.active]
        if missing and field is not None:
            raise ValidationFailed(
                wording.named("Unknown or disabled user id", missing), field=f"body.{field}"
            )
    named = await store.channels_by_name(session, channel_names)
    return Send(
        user_ids,
        content,
        sender_id,
        known,
        now,
        named,
        idempotency_key=body.idempotency_key,
        channels_for=channels_for,
        announce=body.topic is not None,
    )


async def _store(session: AsyncSession, creates: Sequence[_Create]) -> list[Created]:
    """Insert, plan deliveries, audit, commit: several creates in one transaction."""
    created = await deliver_many(session, [c.send for c in creates])
    await audit.write_many(
        session,
        [
            audit.entry(
                c.actor,
                AuditAction.NOTIFICATION_CREATE,
                resource_type="notification",
                resource_id=done.notifications[0].id if len(done.notifications) == 1 else None,
                details={
                    "recipients": len(c.send.user_ids),
                    "ids": [n.id for n in done.notifications][:100],
                    "type": c.send.content.type,
                    "priority": c.send.content.priority,
                    "topic": c.send.content.topic,
                    "channels": [channel.name for channel in c.send.named_channels],
                    **_subscription_channels(c.send),
                },
            )
            for c, done in zip(creates, created, strict=True)
        ],
    )
    await session.commit()
    return created


def _subscription_channels(send: Send) -> dict[str, list[str]]:
    """The audit detail naming the channels subscriptions added (when any)."""
    if not send.channels_for:
        return {}
    names = {channel.name for chans in send.channels_for.values() for channel in chans}
    return {"subscription_channels": sorted(names)}


async def _publish(create: _Create, created: Created) -> None:
    await publish(create.broker, created, just_created=True)


def _lane(create: _Create) -> tuple[int, ...]:
    """The ledger rows a create locks (its recipients): on PostgreSQL, creates to the same
    recipients that arrive while one is being written are written together after it."""
    return tuple(sorted(set(create.send.user_ids)))


# Two creates with the same group_key are not written together: the second replaces the first.
_CREATES: GroupCommit[_Create, Created] = GroupCommit(
    _store, after=_publish, separate=lambda c: c.send.content.group_key, lane=_lane
)


__all__ = ["Preferences", "Send", "create", "deliver", "deliver_many", "publish"]
