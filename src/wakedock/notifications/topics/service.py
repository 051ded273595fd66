"""Topic access rules: the admin's list, and the checks every publish and subscribe makes.

A publish to a topic (``POST /api/notifications`` with ``topic``, ntfy, a Gotify application
bound to a topic) is checked in ``sending`` with ``check_publish``; a subscription (WakeDock's
API, an ntfy client) with ``check_subscribe``; each delivery to a topic's subscribers keeps only
those the rule lets receive (``allowed_subscribers``), so tightening a rule stops existing
subscribers at once, on every server process, without touching their subscriptions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth import directory
from wakedock.auth.permissions import Permission, Role
from wakedock.auth.principal import Principal
from wakedock.db.base import utcnow
from wakedock.errors import Conflict, Forbidden, NotFound, Unauthorized
from wakedock.notifications.models import TopicAccessRule
from wakedock.notifications.topics import rules
from wakedock.notifications.topics.rules import Rule
from wakedock.notifications.topics.schemas import TopicAccessIn

RESOURCE = "topic_access_rule"


def _rule(row: TopicAccessRule) -> Rule:
    return rule_of(row.topic, row.publish_roles, row.subscribe_roles, row.anonymous_publish)


def rule_of(
    topic: str,
    publish_roles: list[str] | None,
    subscribe_roles: list[str] | None,
    anonymous_publish: bool,
) -> Rule:
    """A rule from its row's columns (``sending`` reads them along with the subscribers)."""

    def roles(value: list[str] | None) -> frozenset[str] | None:
        return None if value is None else frozenset(value)

    return Rule(
        topic=topic,
        publish_roles=roles(publish_roles),
        subscribe_roles=roles(subscribe_roles),
        anonymous_publish=anonymous_publish,
    )


async def rule_for(session: AsyncSession, topic: str) -> Rule | None:
    """The topic's rule, None for the default (one primary-key read)."""
    row = await session.get(TopicAccessRule, topic)
    return _rule(row) if row is not None else None


async def rules_for(session: AsyncSession, topics: Collection[str]) -> dict[str, Rule]:
    query = select(TopicAccessRule).where(TopicAccessRule.topic.in_(list(topics)))
    return {row.topic: _rule(row) for row in (await session.scalars(query)).all()}


def check_publish(rule: Rule | None, principal: Principal, topic: str) -> None:
    """Raise unless the caller may publish to ``topic`` under ``rule``."""
    if rules.may_publish(rule, principal):
        return
    if principal.is_anonymous:
        raise Unauthorized("Publishing to this topic needs credentials")
    if not principal.has(Permission.NOTIFICATIONS_SEND):
        raise Forbidden(
            "Sending to other users needs notifications:send",
            code="missing_permission",
            details={"missing": [Permission.NOTIFICATIONS_SEND.value]},
        )
    raise Forbidden(
        f"Publishing to topic {topic!r} is restricted to other roles",
        code="topic_publish_restricted",
        details={"topic": topic},
    )


async def check_publish_to(session: AsyncSession, principal: Principal, topic: str) -> None:
    check_publish(await rule_for(session, topic), principal, topic)


async def check_subscribe(
    session: AsyncSession, principal: Principal, topics: Sequence[str]
) -> None:
    """Raise unless the caller may subscribe to every one of ``topics`` (one read)."""
    found = await rules_for(session, topics)
    refused = [t for t in topics if not rules.may_subscribe(found.get(t), principal)]
    if refused:
        raise Forbidden(
            "Subscribing to these topics is restricted to other roles",
            code="topic_subscribe_restricted",
            details={"topics": refused},
        )


async def allowed_subscribers(
    session: AsyncSession, rule: Rule | None, user_ids: Sequence[int]
) -> list[int]:
    """Of a topic's subscribers, those its rule lets receive now (no read without a rule
    restricting subscribers)."""
    if rule is None or rule.subscribe_roles is None or not user_ids:
        return list(user_ids)
    keep = await directory.holding_roles(
        session, user_ids=user_ids, roles=rule.subscribe_roles | {Role.ADMIN.value}
    )
    return [uid for uid in user_ids if uid in keep]


# ------------------------------------------------------------------ the admin's API


async def list_rules(session: AsyncSession) -> Sequence[TopicAccessRule]:
    return (await session.scalars(select(TopicAccessRule).order_by(TopicAccessRule.topic))).all()


async def get_or_raise(session: AsyncSession, topic: str) -> TopicAccessRule:
    row = await session.get(TopicAccessRule, topic)
    if row is None:
        raise NotFound("This topic has no access rule (the default rule applies)")
    return row


def _details(row: TopicAccessRule) -> dict[str, object]:
    return {
        "topic": row.topic,
        "publish_roles": row.publish_roles,
        "subscribe_roles": row.subscribe_roles,
        "anonymous_publish": row.anonymous_publish,
    }


async def put(
    session: AsyncSession, *, actor: AuditActor, topic: str, data: TopicAccessIn
) -> TopicAccessRule:
    """Set the topic's rule whole (created when it had none), audited."""
    row = await session.get(TopicAccessRule, topic)
    created = row is None
    if row is None:
        row = TopicAccessRule(topic=topic)
        session.add(row)
    row.publish_roles = [str(r) for r in data.publish_roles] if data.publish_roles else None
    row.subscribe_roles = [str(r) for r in data.subscribe_roles] if data.subscribe_roles else None
    row.anonymous_publish = data.anonymous_publish
    row.updated_at = utcnow()
    try:
        await session.flush()
    except IntegrityError:  # a concurrent PUT created it first
        await session.rollback()
        raise Conflict("This topic's rule was just created; try again", code="conflict") from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.TOPIC_ACCESS_SET,
        resource_type=RESOURCE,
        resource_id=topic,
        details={**_details(row), "created": created},
    )
    await session.commit()
    await session.refresh(row)
    return row


async def delete(session: AsyncSession, *, actor: AuditActor, topic: str) -> None:
    """Remove the topic's rule: the default rule applies again."""
    row = await get_or_raise(session, topic)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.TOPIC_ACCESS_DELETE,
        resource_type=RESOURCE,
        resource_id=topic,
        details=_details(row),
    )
    await session.delete(row)
    await session.commit()
