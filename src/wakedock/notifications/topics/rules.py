"""Who may publish to and subscribe to a topic: the policy, pure (docs/notifications.md).

The default rule (a topic without a rule, or a rule's null column): a signed-in caller holding
``notifications:send`` may publish, any signed-in caller with ``notifications:read`` may
subscribe, nobody publishes without credentials. An admin's rule narrows publishing or
subscribing to callers holding one of its roles (the permission is still needed: a rule never
grants what the caller's role or token scopes do not), and may open a topic to anonymous
publishing. Admins pass every rule, as in ntfy: they can change the rule anyway.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from wakedock.auth.permissions import Permission, Role
from wakedock.auth.principal import Principal


@dataclass(frozen=True, slots=True)
class Rule:
    topic: str
    publish_roles: frozenset[str] | None = None
    subscribe_roles: frozenset[str] | None = None
    anonymous_publish: bool = False


def _in_roles(roles: Collection[str], allowed: frozenset[str] | None) -> bool:
    return allowed is None or Role.ADMIN in roles or not allowed.isdisjoint(roles)


def may_publish(rule: Rule | None, principal: Principal) -> bool:
    if principal.is_anonymous:
        return rule is not None and rule.anonymous_publish
    if not principal.has(Permission.NOTIFICATIONS_SEND):
        return False
    return _in_roles(principal.roles, rule.publish_roles if rule else None)


def may_subscribe(rule: Rule | None, principal: Principal) -> bool:
    if principal.is_anonymous or not principal.has(Permission.NOTIFICATIONS_READ):
        return False
    return _in_roles(principal.roles, rule.subscribe_roles if rule else None)


def receives(rule: Rule | None, roles: Collection[str]) -> bool:
    """Whether a subscriber holding ``roles`` gets the topic's notifications now: a rule
    tightened after they subscribed stops their deliveries (their subscription stays, and
    delivers again if the rule is loosened or they are given a role)."""
    return _in_roles(roles, rule.subscribe_roles if rule else None)
