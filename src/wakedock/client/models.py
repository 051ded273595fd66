"""The API's shapes as the client sees them: the OpenAPI components they mirror are named on each
model (``tests/client/test_models_drift.py`` fails when a field or an enum value drifts)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    # A newer server may add fields: ignore them rather than fail.
    model_config = ConfigDict(extra="ignore", frozen=True)


class NotificationType(StrEnum):
    """OpenAPI ``NotificationType``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    SUCCESS = "success"
    SYSTEM = "system"
    SECURITY = "security"
    DEPLOYMENT = "deployment"
    MONITORING = "monitoring"


class Priority(StrEnum):
    """OpenAPI ``Priority``."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Role(StrEnum):
    """OpenAPI ``Role``."""

    ADMIN = "admin"
    OPERATOR = "operator"
    USER = "user"


class Permission(StrEnum):
    """OpenAPI ``Permission``."""

    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_SEND = "notifications:send"
    NOTIFICATIONS_BROADCAST = "notifications:broadcast"
    NOTIFICATIONS_ADMIN = "notifications:admin"
    DASHBOARDS_READ = "dashboards:read"
    DASHBOARDS_WRITE = "dashboards:write"
    DASHBOARDS_ADMIN = "dashboards:admin"
    USERS_ADMIN = "users:admin"
    AUDIT_READ = "audit:read"
    ACCOUNT_MANAGE = "account:manage"


class Notification(_Model):
    """OpenAPI ``NotificationOut``. ``type`` and ``priority`` stay strings: a value a newer
    server adds must not break an older client (the known ones are the enums above)."""

    id: int
    user_id: int
    type: str
    priority: str
    title: str
    message: str
    data: dict[str, Any]
    action_url: str | None
    action_label: str | None
    topic: str | None
    resource_id: str | None
    source: str | None
    group_key: str | None
    read: bool
    read_at: datetime | None
    created_at: datetime
    expires_at: datetime | None


class NotificationPage(_Model):
    """OpenAPI ``NotificationPage``."""

    items: list[Notification]
    next_cursor: str | None
    unread_count: int


class BroadcastAccepted(_Model):
    """OpenAPI ``BroadcastAccepted``: a send to a role is a broadcast, fanned out by the worker."""

    broadcast_id: int
    recipients: int


class Me(_Model):
    """OpenAPI ``Me``."""

    id: int
    username: str
    email: str
    roles: list[str]
    permissions: list[str]
    timezone: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class User(_Model):
    """OpenAPI ``UserOut``."""

    id: int
    username: str
    email: str
    roles: list[str]
    is_active: bool
    timezone: str
    created_at: datetime
    last_login_at: datetime | None


class ApiToken(_Model):
    """OpenAPI ``ApiTokenOut``."""

    id: int
    name: str
    prefix: str
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiToken):
    """OpenAPI ``ApiTokenCreated``: the token itself is in this answer only."""

    token: str


class ErrorBody(_Model):
    """OpenAPI ``ErrorBody``."""

    code: str
    message: str
    details: Any = None
    request_id: str | None = None


class SendResult(_Model):
    """What a send created: the notifications (one for a user, one per recipient for a topic or
    several users), or for a role the accepted broadcast. ``replayed``: the server had already
    done this send (same idempotency key) and created nothing."""

    notifications: list[Notification] = []
    broadcast: BroadcastAccepted | None = None
    replayed: bool = False


# Client model → the OpenAPI component it mirrors (for the drift test).
OPENAPI_MODELS: dict[type[BaseModel], str] = {
    Notification: "NotificationOut",
    NotificationPage: "NotificationPage",
    BroadcastAccepted: "BroadcastAccepted",
    Me: "Me",
    User: "UserOut",
    ApiToken: "ApiTokenOut",
    ApiTokenCreated: "ApiTokenCreated",
    ErrorBody: "ErrorBody",
}
OPENAPI_ENUMS: dict[type[StrEnum], str] = {
    NotificationType: "NotificationType",
    Priority: "Priority",
    Role: "Role",
    Permission: "Permission",
}
