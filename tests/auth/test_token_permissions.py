"""``token_permissions`` remembers its answers by the roles and scopes themselves: the same
answer as computed afresh, and a change of either is a different answer at once."""

from __future__ import annotations

from wakedock.auth import permissions
from wakedock.auth.permissions import Permission, permissions_for, token_permissions


def test_remembered_answers_follow_roles_and_scopes() -> None:
    permissions._TOKEN_PERMISSIONS.clear()
    scopes = ["notifications:read", "notifications:send", "account:manage"]
    first = token_permissions(("operator",), scopes)
    assert first == token_permissions(("operator",), list(scopes))  # remembered, equal
    assert first == frozenset(p for p in permissions_for(["operator"]) if p in scopes)
    # The owner demoted: the token narrows with the roles, not what was remembered.
    narrowed = token_permissions(("user",), scopes)
    assert narrowed == frozenset(p for p in permissions_for(["user"]) if p in scopes)
    # Without scopes: the roles' permissions but the explicit-only ones.
    unscoped = token_permissions(("operator",), None)
    assert Permission.ACCOUNT_MANAGE not in unscoped
    assert unscoped == permissions_for(["operator"]) - permissions.EXPLICIT_ONLY


def test_the_memory_is_bounded() -> None:
    permissions._TOKEN_PERMISSIONS.clear()
    for i in range(permissions._TOKEN_PERMISSIONS_MAX + 5):
        token_permissions(("user",), [f"scope-{i}"])
    assert len(permissions._TOKEN_PERMISSIONS) <= permissions._TOKEN_PERMISSIONS_MAX
