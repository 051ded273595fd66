"""Roles and the permissions (``resource:action``) they grant, and what an API token holds.

A login session holds every permission of its user's roles. An API token holds its scopes (each
within the owner's *current* roles), or, unscoped, the roles' permissions except the
``EXPLICIT_ONLY`` ones: a token handed to a script must not be able to change the account, its
password or e-mail, or mint and revoke tokens unless it was created for that (issue 17: a
``dashboards:read`` token changed the e-mail and revoked other tokens; a scoped token minted an
unscoped one).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
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
    # The caller's own account: e-mail, time zone, password, and its API tokens. Every role has
    # it; an API token only when its scopes name it (``EXPLICIT_ONLY``).
    ACCOUNT_MANAGE = "account:manage"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    USER = "user"


_USER = frozenset(
    {
        Permission.NOTIFICATIONS_READ,
        Permission.DASHBOARDS_READ,
        Permission.DASHBOARDS_WRITE,
        Permission.ACCOUNT_MANAGE,
    }
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


# Held by an API token only when its scopes list them: never implied by an unscoped token.
EXPLICIT_ONLY: frozenset[Permission] = frozenset({Permission.ACCOUNT_MANAGE})


def token_permissions(
    roles: Iterable[str], scopes: Collection[str] | None
) -> frozenset[Permission]:
    """What an API token may do: its scopes within the owner's current roles (so demoting the
    owner narrows the token), or without scopes the roles' permissions but ``EXPLICIT_ONLY``.
    A pure function of its arguments: the answer for roles and scopes seen before is
    remembered (every API request with a token asks; a handful of combinations exist)."""
    key = (tuple(roles), None if scopes is None else tuple(scopes))
    found = _TOKEN_PERMISSIONS.get(key)
    if found is None:
        if len(_TOKEN_PERMISSIONS) >= _TOKEN_PERMISSIONS_MAX:
            _TOKEN_PERMISSIONS.clear()
        found = _TOKEN_PERMISSIONS[key] = _token_permissions(key[0], key[1])
    return found


def _token_permissions(
    roles: tuple[str, ...], scopes: tuple[str, ...] | None
) -> frozenset[Permission]:
    owned = permissions_for(roles)
    if scopes is None:
        return owned - EXPLICIT_ONLY
    # A member is its value (StrEnum): compared as it is, not through ``.value``.
    return frozenset(p for p in owned if p in scopes)


# (roles, scopes) -> permissions: keyed by the values themselves, so a change of a token's
# scopes or its owner's roles is a different key (nothing to invalidate).
_TOKEN_PERMISSIONS: dict[tuple[tuple[str, ...], tuple[str, ...] | None], frozenset[Permission]] = {}
_TOKEN_PERMISSIONS_MAX = 1024
