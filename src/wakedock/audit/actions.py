"""Every audit action WakeDock writes, with what it is about and the details it carries.

One registry, in the style of datasette's events: a write names an ``AuditAction`` member (mypy
refuses a free string), and ``ACTIONS`` says which resource it concerns and which keys its
``details`` may hold. The test suite runs with ``strict(True)``, so a write whose details
drift from this table fails the test that made it; in production a drift is logged, never
raised — an audit row is not worth a failed request. ``GET /api/audit/actions`` serves the table
(the audit screen's filter lists it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

logger = logging.getLogger(__name__)


class AuditAction(StrEnum):
    AUTH_LOGIN = "auth.login"
    AUTH_REFRESH = "auth.refresh"
    AUTH_LOGOUT = "auth.logout"
    AUTH_SESSIONS_REVOKE_OTHERS = "auth.sessions.revoke_others"
    API_TOKEN_CREATE = "api_token.create"
    API_TOKEN_DELETE = "api_token.delete"
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_UPDATE_SELF = "user.update_self"
    USER_DELETE = "user.delete"
    NOTIFICATION_CREATE = "notification.create"
    NOTIFICATION_BROADCAST = "notification.broadcast"
    NOTIFICATION_SCHEDULE = "notification.schedule"
    NOTIFICATION_UPDATE = "notification.update"
    NOTIFICATION_DELETE = "notification.delete"
    NOTIFICATION_DELETE_ALL = "notification.delete_all"
    NOTIFICATION_READ = "notification.read"
    NOTIFICATION_UNREAD = "notification.unread"
    NOTIFICATION_READ_ALL = "notification.read_all"
    DELIVERY_RETRY = "delivery.retry"
    PREFERENCES_UPDATE = "preferences.update"
    SUBSCRIPTION_CREATE = "subscription.create"
    SUBSCRIPTION_UPDATE = "subscription.update"
    SUBSCRIPTION_DELETE = "subscription.delete"
    TOPIC_ACCESS_SET = "topic_access.set"
    TOPIC_ACCESS_DELETE = "topic_access.delete"
    PUSH_SUBSCRIPTION_CREATE = "push_subscription.create"
    PUSH_SUBSCRIPTION_DELETE = "push_subscription.delete"
    CHANNEL_CREATE = "channel.create"
    CHANNEL_UPDATE = "channel.update"
    CHANNEL_DELETE = "channel.delete"
    CHANNEL_TEST = "channel.test"
    CHANNEL_VAPID_GENERATE = "channel.vapid_generate"
    TEMPLATE_CREATE = "template.create"
    TEMPLATE_UPDATE = "template.update"
    TEMPLATE_DELETE = "template.delete"
    DASHBOARD_CREATE = "dashboard.create"
    DASHBOARD_DUPLICATE = "dashboard.duplicate"
    DASHBOARD_UPDATE = "dashboard.update"
    DASHBOARD_DELETE = "dashboard.delete"
    DASHBOARD_SET_DEFAULT = "dashboard.set_default"
    DASHBOARD_LAYOUT_SAVE = "dashboard.layout.save"
    DASHBOARD_SHARE = "dashboard.share"
    DASHBOARD_UNSHARE = "dashboard.unshare"
    DASHBOARD_PREFERENCES_UPDATE = "dashboard.preferences.update"
    DASHBOARD_WIDGET_CREATE = "dashboard.widget.create"
    DASHBOARD_WIDGET_UPDATE = "dashboard.widget.update"
    DASHBOARD_WIDGET_DELETE = "dashboard.widget.delete"
    DASHBOARD_SOURCE_CREATE = "dashboard.source.create"
    DASHBOARD_SOURCE_UPDATE = "dashboard.source.update"
    DASHBOARD_SOURCE_DELETE = "dashboard.source.delete"
    DASHBOARD_TEMPLATE_CREATE = "dashboard.template.create"
    DASHBOARD_TEMPLATE_UPDATE = "dashboard.template.update"
    DASHBOARD_TEMPLATE_DELETE = "dashboard.template.delete"
    DASHBOARD_TEMPLATE_APPLY = "dashboard.template.apply"
    INTEGRATION_CREATE = "integration.create"
    INTEGRATION_UPDATE = "integration.update"
    INTEGRATION_DELETE = "integration.delete"
    INTEGRATION_DELIVER = "integration.deliver"
    GOTIFY_APPLICATION_CREATE = "gotify.application.create"
    GOTIFY_APPLICATION_UPDATE = "gotify.application.update"
    GOTIFY_APPLICATION_DELETE = "gotify.application.delete"
    GOTIFY_CLIENT_CREATE = "gotify.client.create"
    GOTIFY_CLIENT_UPDATE = "gotify.client.update"
    GOTIFY_CLIENT_DELETE = "gotify.client.delete"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    description: str
    resource_type: str | None
    details: frozenset[str] = frozenset()


def _spec(description: str, resource_type: str | None, *details: str) -> ActionSpec:
    return ActionSpec(description, resource_type, frozenset(details))


_LAYOUT = ("name", "columns", "row_height", "gap", "widgets", "default")
_READ = ("ids", "count", "type")
A = AuditAction

ACTIONS: Mapping[AuditAction, ActionSpec] = {
    A.AUTH_LOGIN: _spec(
        "A sign-in, or a refused one (reason; method: basic for ntfy/Gotify clients)",
        "user",
        "reason",
        "login",
        "method",
    ),
    A.AUTH_REFRESH: _spec("A refresh token reused: its family revoked", "session", "reason"),
    A.AUTH_LOGOUT: _spec("A sign-out", "session"),
    A.AUTH_SESSIONS_REVOKE_OTHERS: _spec(
        "Users signed out their other sessions (how many)", "user", "revoked"
    ),
    A.API_TOKEN_CREATE: _spec(
        "An API token created", "api_token", "name", "scopes", "owner_id", "expires_at"
    ),
    A.API_TOKEN_DELETE: _spec("An API token revoked", "api_token", "name"),
    A.USER_CREATE: _spec("An account created", "user", "username", "roles"),
    A.USER_UPDATE: _spec("An account changed by an admin", "user", "changes"),
    A.USER_UPDATE_SELF: _spec("Users changed their own account", "user", "changes"),
    A.USER_DELETE: _spec("An account deleted", "user", "username"),
    A.NOTIFICATION_CREATE: _spec(
        "Notifications sent",
        "notification",
        "recipients",
        "ids",
        "type",
        "priority",
        "topic",
        "channels",
        "subscription_channels",
    ),
    A.NOTIFICATION_BROADCAST: _spec(
        "A broadcast queued", "broadcast", "target", "recipients", "title", "channels"
    ),
    A.NOTIFICATION_SCHEDULE: _spec(
        "A notification kept until its time (ntfy's X-Delay)",
        "scheduled_notification",
        "run_at",
        "topic",
    ),
    A.NOTIFICATION_UPDATE: _spec("A notification edited", "notification", "fields"),
    A.NOTIFICATION_DELETE: _spec("A notification deleted", "notification"),
    A.NOTIFICATION_DELETE_ALL: _spec(
        "Every notification of a user deleted (or those of one Gotify application)",
        "notification",
        "count",
        "data",
    ),
    A.NOTIFICATION_READ: _spec("Notifications marked read", "notification", *_READ),
    A.NOTIFICATION_UNREAD: _spec("Notifications marked unread", "notification", *_READ),
    A.NOTIFICATION_READ_ALL: _spec("Every notification marked read", "notification", *_READ),
    A.DELIVERY_RETRY: _spec("A delivery sent again", "delivery", "channel_type"),
    A.PREFERENCES_UPDATE: _spec(
        "Notification preferences changed", "notification_preferences", "changes"
    ),
    A.SUBSCRIPTION_CREATE: _spec(
        "A topic subscription", "notification_subscription", "topic", "resource_id"
    ),
    A.SUBSCRIPTION_UPDATE: _spec("A subscription changed", "notification_subscription", "fields"),
    A.SUBSCRIPTION_DELETE: _spec("A subscription removed", "notification_subscription"),
    A.TOPIC_ACCESS_SET: _spec(
        "A topic's access rule set by an admin (who may publish, subscribe, anonymously)",
        "topic_access_rule",
        "topic",
        "publish_roles",
        "subscribe_roles",
        "anonymous_publish",
        "created",
    ),
    A.TOPIC_ACCESS_DELETE: _spec(
        "A topic's access rule removed: the default rule applies",
        "topic_access_rule",
        "topic",
        "publish_roles",
        "subscribe_roles",
        "anonymous_publish",
    ),
    A.PUSH_SUBSCRIPTION_CREATE: _spec("A browser subscribed to web push", "push_subscription"),
    A.PUSH_SUBSCRIPTION_DELETE: _spec("A browser's web push removed", "push_subscription"),
    A.CHANNEL_CREATE: _spec("A delivery channel created", "notification_channel", "name", "type"),
    A.CHANNEL_UPDATE: _spec("A delivery channel changed", "notification_channel", "fields"),
    A.CHANNEL_DELETE: _spec("A delivery channel deleted", "notification_channel", "name"),
    A.CHANNEL_TEST: _spec(
        "A channel's test message (error if any)", "notification_channel", "error"
    ),
    A.CHANNEL_VAPID_GENERATE: _spec("Web push keys generated", "notification_channel"),
    A.TEMPLATE_CREATE: _spec("A notification template created", "notification_template"),
    A.TEMPLATE_UPDATE: _spec("A notification template changed", "notification_template", "fields"),
    A.TEMPLATE_DELETE: _spec("A notification template deleted", "notification_template"),
    A.DASHBOARD_CREATE: _spec("A dashboard created", "dashboard", *_LAYOUT),
    A.DASHBOARD_DUPLICATE: _spec("A dashboard copied", "dashboard", *_LAYOUT, "from_id"),
    A.DASHBOARD_UPDATE: _spec("A dashboard's settings changed", "dashboard", "changed"),
    A.DASHBOARD_DELETE: _spec("A dashboard deleted", "dashboard", "name", "widgets"),
    A.DASHBOARD_SET_DEFAULT: _spec("A dashboard made the default", "dashboard", "name"),
    A.DASHBOARD_LAYOUT_SAVE: _spec("Widgets moved or resized", "dashboard", "moved", "listed"),
    A.DASHBOARD_SHARE: _spec("A dashboard's share link created", "dashboard", "replaced_link"),
    A.DASHBOARD_UNSHARE: _spec("A dashboard's share link removed", "dashboard", "was_shared"),
    A.DASHBOARD_PREFERENCES_UPDATE: _spec(
        "Dashboard preferences changed", "dashboard_preferences", "changed"
    ),
    A.DASHBOARD_WIDGET_CREATE: _spec(
        "A widget added", "dashboard_widget", "layout_id", "type", "position"
    ),
    A.DASHBOARD_WIDGET_UPDATE: _spec(
        "A widget changed", "dashboard_widget", "layout_id", "type", "changed"
    ),
    A.DASHBOARD_WIDGET_DELETE: _spec(
        "A widget removed", "dashboard_widget", "layout_id", "type", "title"
    ),
    A.DASHBOARD_SOURCE_CREATE: _spec(
        "A data source created", "data_source", "uid", "kind", "name", "config_keys"
    ),
    A.DASHBOARD_SOURCE_UPDATE: _spec("A data source changed", "data_source", "uid", "changed"),
    A.DASHBOARD_SOURCE_DELETE: _spec("A data source deleted", "data_source", "uid", "kind"),
    A.DASHBOARD_TEMPLATE_CREATE: _spec(
        "A dashboard saved as a template",
        "dashboard_template",
        "name",
        "from_layout_id",
        "is_public",
    ),
    A.DASHBOARD_TEMPLATE_UPDATE: _spec(
        "A dashboard template changed", "dashboard_template", "changed", "is_public"
    ),
    A.DASHBOARD_TEMPLATE_DELETE: _spec(
        "A dashboard template deleted", "dashboard_template", "name", "owner_id"
    ),
    A.DASHBOARD_TEMPLATE_APPLY: _spec(
        "A dashboard made from a template", "dashboard", *_LAYOUT, "template_id", "template"
    ),
    A.INTEGRATION_CREATE: _spec(
        "An inbound integration (Alertmanager, Grafana, GitHub, hook) created",
        "integration",
        "name",
        "kind",
        "target",
    ),
    A.INTEGRATION_UPDATE: _spec("An inbound integration changed", "integration", "fields"),
    A.INTEGRATION_DELETE: _spec("An inbound integration deleted", "integration", "name", "kind"),
    A.INTEGRATION_DELIVER: _spec(
        "A payload received by an integration: the notifications it made, or why none",
        "integration",
        "integration",
        "event",
        "items",
        "notifications",
        "ids",
        "status",
        "error",
    ),
    A.GOTIFY_APPLICATION_CREATE: _spec(
        "A Gotify application (a sending token) created",
        "gotify_application",
        "name",
        "topic",
        "api_token_id",
    ),
    A.GOTIFY_APPLICATION_UPDATE: _spec(
        "A Gotify application changed", "gotify_application", "name", "topic"
    ),
    A.GOTIFY_APPLICATION_DELETE: _spec(
        "A Gotify application deleted", "gotify_application", "name"
    ),
    A.GOTIFY_CLIENT_CREATE: _spec(
        "A Gotify client (a reading token) created", "gotify_client", "name", "api_token_id"
    ),
    A.GOTIFY_CLIENT_UPDATE: _spec("A Gotify client renamed", "gotify_client", "name"),
    A.GOTIFY_CLIENT_DELETE: _spec("A Gotify client deleted", "gotify_client", "name"),
}

_strict = False


def strict(on: bool) -> None:
    """Raise (tests) instead of logging (production) when a write drifts from ``ACTIONS``."""
    global _strict
    _strict = on


def check(action: AuditAction, resource_type: str | None, details: Mapping[str, Any]) -> None:
    """Does this write match the registry? A drift is logged, or raised in strict mode."""
    spec = ACTIONS.get(action)
    if spec is None:
        problem = f"audit action {action!r} is not in the registry"
    elif resource_type != spec.resource_type:
        problem = f"{action}: resource_type {resource_type!r}, registered {spec.resource_type!r}"
    elif not details.keys() <= spec.details:
        problem = f"{action}: unregistered detail keys {sorted(details.keys() - spec.details)}"
    else:
        return
    if _strict:
        raise AssertionError(problem)
    logger.warning("%s (wakedock/audit/actions.py)", problem)
