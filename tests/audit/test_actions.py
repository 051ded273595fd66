"""The registry of audit actions: complete, enforced in tests, served to the audit screen."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.conftest import UserFactory, assert_error
from wakedock.audit import actions
from wakedock.audit.actions import ACTIONS, AuditAction


def test_every_action_is_registered_once_with_a_description() -> None:
    assert set(ACTIONS) == set(AuditAction)
    assert all(spec.description for spec in ACTIONS.values())


def test_a_write_drifting_from_the_registry_fails_in_tests_and_is_logged_in_production(
    caplog: pytest.LogCaptureFixture,
) -> None:
    actions.check(AuditAction.USER_DELETE, "user", {"username": "ann"})  # as registered
    with pytest.raises(AssertionError, match="unregistered detail keys \\['password'\\]"):
        actions.check(AuditAction.USER_DELETE, "user", {"username": "ann", "password": "x"})
    with pytest.raises(AssertionError, match="resource_type 'dashboard'"):
        actions.check(AuditAction.USER_DELETE, "dashboard", {})
    actions.strict(False)
    try:
        with caplog.at_level(logging.WARNING, logger="wakedock.audit.actions"):
            actions.check(AuditAction.USER_DELETE, "user", {"secret": "x"})
    finally:
        actions.strict(True)
    assert "unregistered detail keys ['secret']" in caplog.text


async def test_the_actions_are_listed_for_audit_readers_only(
    client: httpx.AsyncClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    listed = (await client.get("/api/audit/actions", headers=admin_headers)).json()
    assert [item["action"] for item in listed] == [a.value for a in AuditAction]
    login = next(item for item in listed if item["action"] == "auth.login")
    assert login == {
        "action": "auth.login",
        "description": ACTIONS[AuditAction.AUTH_LOGIN].description,
        "resource_type": "user",
        "details": ["login", "method", "reason"],
    }
    user = await make_user()
    assert_error(await client.get("/api/audit/actions", headers=user.headers), 403)
    assert_error(await client.get("/api/audit/actions"), 401)
