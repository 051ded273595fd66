"""Roles and the permissions (``resource:action``) they grant."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_SEND = "notifications:send"
    NOTIFICATIONS_BROADCAST = "notifications:broadcast"
    NOTIFICATIONS_ADMIN = "notifications:admin"
    DASHBOARDS_READ = "dashboards:read"
    DASHBOARDS_WRITE = "dashboards:write"
    DASHBOARDS_ADMIN = "dashboards:admin"
    USERS_ADMIN = "users:admin"
    AUDIT_READ = "audit:read"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    USER = "user"


_USER = frozenset(
    {Permission.NOTIFICATIONS_READ, Permission.DASHBOARDS_READ, Permission.DASHBOARDS_WRITE}
)
_OPERATOR = _USER | {Permission.NOTIFICATIONS_SEND, Permission.AUDIT_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.USER: _USER,
    Role.OPERATOR: _OPERATOR,
    Role.ADMIN: frozenset(Permission),
}


def permissions_for(roles: Iterable[str]) -> frozenset[Permission]:
    """Union of the permissions of the given roles (unknown role names grant nothing)."""
    granted: set[Permission] = set()
    for name in roles:
        try:
            granted |= ROLE_PERMISSIONS[Role(name)]
        except ValueError:
            continue
    return frozenset(granted)
