"""Authentication and permission dependencies: ``require(Permission.X)`` on every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from wakedock.audit.context import AuditActor, anonymous_actor
from wakedock.auth import sessions
from wakedock.auth.bearer import BearerScheme
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.dependencies import AppSettings, DbSession
from wakedock.errors import Forbidden, Unauthorized

_bearer = BearerScheme(description="An access token or an API token (wdk_…)")


async def current_principal(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("Not authenticated")
    principal = await sessions.authenticate(db, settings, token=credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*needed: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates and checks the caller holds every ``needed`` permission."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        return check_permissions(principal, needed)

    return dependency


def check_permissions(principal: Principal, needed: Iterable[Permission]) -> Principal:
    """The principal, if it holds every ``needed`` permission; else 403 naming what is missing."""
    missing = [str(p) for p in needed if not principal.has(p)]
    if missing:
        raise Forbidden(
            f"Missing permission: {', '.join(missing)}",
            code="missing_permission",
            details={"missing": missing},
        )
    return principal


async def account_manager(principal: CurrentPrincipal) -> Principal:
    """The caller, if it may change its own account and tokens: a login session, or an API
    token whose scopes name account:manage (an unscoped token does not imply it)."""
    if not principal.has(Permission.ACCOUNT_MANAGE):
        missing = [Permission.ACCOUNT_MANAGE.value]
        raise Forbidden(
            "Managing the account and its tokens needs a login session or an API token "
            "with the account:manage scope",
            code="missing_permission",
            details={"missing": missing},
        )
    return principal


AccountManager = Annotated[Principal, Depends(account_manager)]


async def request_meta(request: Request) -> AuditActor:
    """Where a request comes from, as an anonymous audit actor (``Principal.acting`` names it)."""
    return anonymous_actor(request)


RequestMeta = Annotated[AuditActor, Depends(request_meta)]
