"""/api/users: account administration (users:admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from wakedock.auth import service
from wakedock.auth.dependencies import RequestMeta, require
from wakedock.auth.permissions import Permission, permissions_for
from wakedock.auth.principal import Principal
from wakedock.auth.schemas import UserCreate, UserList, UserOut, UserUpdate
from wakedock.bounds import IdParam
from wakedock.dependencies import AppBroker, DbSession
from wakedock.errors import ERROR_RESPONSES, ValidationFailed
from wakedock.pagination import Cursor, decode_id_cursor, encode_cursor

router = APIRouter(prefix="/api/users", tags=["users"], responses=ERROR_RESPONSES)
Admin = Annotated[Principal, Depends(require(Permission.USERS_ADMIN))]


@router.get("", summary="List users")
async def list_users(
    _: Admin,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> UserList:
    after = decode_id_cursor(cursor)
    users = await service.list_users(db, limit=limit + 1, after_id=after)
    page = list(users[:limit])
    next_cursor = encode_cursor(id=page[-1].id) if len(users) > limit else None
    return UserList(items=[UserOut.model_validate(u) for u in page], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(body: UserCreate, admin: Admin, db: DbSession, meta: RequestMeta) -> UserOut:
    user = await service.create(
        db,
        actor=admin.acting(meta),
        username=body.username,
        email=str(body.email),
        password=body.password,
        roles=body.roles,
        timezone=body.timezone,
    )
    return UserOut.model_validate(user)


@router.get("/{user_id}", summary="Get a user")
async def get_user(user_id: IdParam, _: Admin, db: DbSession) -> UserOut:
    return UserOut.model_validate(await service.get_or_raise(db, user_id=user_id))


@router.patch("/{user_id}", summary="Change a user's roles, state, e-mail, time zone or password")
async def update_user(
    user_id: IdParam,
    body: UserUpdate,
    admin: Admin,
    db: DbSession,
    meta: RequestMeta,
    broker: AppBroker,
) -> UserOut:
    user = await service.get_or_raise(db, user_id=user_id)
    if user.id == admin.user_id and (
        body.is_active is False
        or (
            body.roles is not None
            and Permission.USERS_ADMIN not in permissions_for({str(r) for r in body.roles})
        )
    ):
        raise ValidationFailed(
            "You cannot disable yourself or remove your own admin rights", field="body"
        )
    user = await service.update(
        db,
        actor=admin.acting(meta),
        user=user,
        email=str(body.email) if body.email is not None else None,
        roles=body.roles,
        is_active=body.is_active,
        timezone=body.timezone,
        password=body.password,
        broker=broker,
    )
    return UserOut.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a user")
async def delete_user(
    user_id: IdParam, admin: Admin, db: DbSession, meta: RequestMeta, broker: AppBroker
) -> Response:
    user = await service.get_or_raise(db, user_id=user_id)
    if user.id == admin.user_id:
        raise ValidationFailed("You cannot delete yourself", field="path.user_id")
    await service.delete(db, actor=admin.acting(meta), user=user, broker=broker)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
