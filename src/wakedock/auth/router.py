"""/api/auth: login, token refresh, logout, the caller's own account and API tokens.

Changing the account (``PATCH /me``) and listing, creating or revoking API tokens need
account:manage (``AccountManager``): every login session has it, an API token only when its
scopes name it. Reading ``/me`` and logging out stay open to any caller, and a token may always
revoke itself: none of these can widen what a credential does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from wakedock.audit.actions import AuditAction
from wakedock.auth import api_tokens, login_sessions, service, sessions
from wakedock.auth.dependencies import (
    AccountManager,
    CurrentPrincipal,
    RequestMeta,
    account_manager,
)
from wakedock.auth.models import ApiToken, User
from wakedock.auth.passwords import verify_password
from wakedock.auth.principal import Principal
from wakedock.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    LoginRequest,
    Me,
    MeUpdate,
    RefreshRequest,
    TokenPair,
)
from wakedock.bounds import IdParam
from wakedock.dependencies import AppBroker, AppSettings, DbSession
from wakedock.errors import ERROR_RESPONSES, ValidationFailed

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERROR_RESPONSES)


def _me(user: User, principal: Principal) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        email=user.email,
        roles=user.roles,
        permissions=sorted(str(p) for p in principal.permissions),
        timezone=user.timezone,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _token_out(token: ApiToken) -> ApiTokenOut:
    return ApiTokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=token.scope_list(),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


@router.post("/login", summary="Log in with a username (or e-mail) and password")
async def login(
    body: LoginRequest, db: DbSession, settings: AppSettings, meta: RequestMeta
) -> TokenPair:
    return await sessions.login(
        db, settings, login=body.username, password=body.password, meta=meta
    )


@router.post("/token", summary="OAuth2 password flow (for the API docs' Authorize button)")
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DbSession,
    settings: AppSettings,
    meta: RequestMeta,
) -> TokenPair:
    return await sessions.login(
        db, settings, login=form.username, password=form.password, meta=meta
    )


@router.post("/refresh", summary="Exchange a refresh token for a new token pair (rotating)")
async def refresh(
    body: RefreshRequest, db: DbSession, settings: AppSettings, meta: RequestMeta, broker: AppBroker
) -> TokenPair:
    return await sessions.refresh(
        db, settings, refresh_token=body.refresh_token, meta=meta, broker=broker
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the current session")
async def logout(
    principal: CurrentPrincipal, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> Response:
    await sessions.logout(db, principal=principal, meta=meta, broker=broker)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="The caller's account, roles and permissions")
async def me(principal: CurrentPrincipal, db: DbSession) -> Me:
    return _me(await service.get_or_raise(db, user_id=principal.user_id), principal)


@router.patch("/me", summary="Change the caller's e-mail, time zone or password")
async def update_me(
    body: MeUpdate, principal: AccountManager, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> Me:
    user = await service.get_or_raise(db, user_id=principal.user_id)
    if body.new_password is not None:
        if not body.current_password:
            raise ValidationFailed(
                "current_password is required to change the password",
                field="body.current_password",
            )
        if not await verify_password(user.password_hash, body.current_password):
            raise ValidationFailed("current_password is wrong", field="body.current_password")
    user = await service.update(
        db,
        actor=principal.acting(meta),
        user=user,
        email=body.email,
        timezone=body.timezone,
        password=body.new_password,
        action=AuditAction.USER_UPDATE_SELF,
        keep_session_id=principal.session_id,
        broker=broker,
    )
    return _me(user, principal)


@router.get("/sessions", summary="The caller's live login sessions (`current`: this one)")
async def list_sessions(
    principal: AccountManager, db: DbSession
) -> list[login_sessions.LoginSessionOut]:
    return await login_sessions.list_live(
        db, user_id=principal.user_id, current_session_id=principal.session_id
    )


@router.post(
    "/sessions/revoke-others",
    summary="Sign out every other login session of the caller (this one stays)",
)
async def revoke_other_sessions(
    principal: AccountManager, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> login_sessions.RevokedSessions:
    return await login_sessions.revoke_others(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        current_session_id=principal.session_id,
        broker=broker,
    )


@router.get("/api-tokens", summary="List the caller's API tokens (never the tokens themselves)")
async def list_api_tokens(principal: AccountManager, db: DbSession) -> list[ApiTokenOut]:
    return [_token_out(t) for t in await api_tokens.list_for_user(db, user_id=principal.user_id)]


@router.post(
    "/api-tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token for scripts; the token is shown only once",
)
async def create_api_token(
    body: ApiTokenCreate, principal: AccountManager, db: DbSession, meta: RequestMeta
) -> ApiTokenCreated:
    """Within the caller's permissions: from an API token, within that token's scopes (none
    asked: the same scopes) and expiry."""
    token, plain = await api_tokens.create(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        roles=principal.roles,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        caller=await api_tokens.caller_token(db, principal),
    )
    return ApiTokenCreated(**_token_out(token).model_dump(), token=plain)


@router.delete(
    "/api-tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke one of the caller's API tokens",
)
async def delete_api_token(
    token_id: IdParam,
    principal: CurrentPrincipal,
    db: DbSession,
    meta: RequestMeta,
    broker: AppBroker,
) -> Response:
    if token_id != principal.api_token_id:  # a token revoking itself needs nothing more
        await account_manager(principal)
    await api_tokens.delete(
        db,
        actor=principal.acting(meta),
        user_id=principal.user_id,
        token_id=token_id,
        broker=broker,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
