"""Request and response bodies of the auth and user APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from wakedock.auth.passwords import MIN_PASSWORD_LENGTH
from wakedock.auth.permissions import Permission, Role
from wakedock.bounds import DateTime, StrictBool
from wakedock.email_address import EmailAddress


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Paris)"
        ) from None
    return value


TimeZoneName = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_check_timezone)
]
Username = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024)]


class LoginRequest(BaseModel):
    username: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Me(BaseModel):
    id: int
    username: str
    email: str
    roles: list[str]
    permissions: list[str]
    timezone: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress | None = None
    timezone: TimeZoneName | None = None
    current_password: Annotated[str, StringConstraints(max_length=1024)] | None = None
    new_password: Password | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    roles: list[str]
    is_active: bool
    timezone: str
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    email: EmailAddress
    password: Password
    roles: list[Role] = Field(default_factory=lambda: [Role.USER])
    timezone: TimeZoneName = "UTC"


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress | None = None
    roles: list[Role] | None = None
    is_active: StrictBool | None = None
    timezone: TimeZoneName | None = None
    password: Password | None = None


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    scopes: list[Permission] | None = None
    expires_at: DateTime | None = None


class ApiTokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The token itself, shown only in this answer.")
