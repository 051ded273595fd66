"""Client → server messages of the WebSocket protocol (docs/websocket.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# Close codes
UNAUTHORIZED = 4401
FORBIDDEN = 4403
TOO_SLOW = 4408
AUTH_TIMEOUT_SECONDS = 5.0


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ping(_Message):
    type: Literal["ping"]


class Auth(_Message):
    type: Literal["auth"]
    token: Annotated[str, Field(min_length=1, max_length=4096)]


class Resume(_Message):
    type: Literal["resume"]
    since: Annotated[int, Field(ge=0)]


class MarkRead(_Message):
    type: Literal["mark_read"]
    ids: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=1000)]


class MarkAllRead(_Message):
    type: Literal["mark_all_read"]


ClientMessage = Annotated[
    Ping | Auth | Resume | MarkRead | MarkAllRead, Field(discriminator="type")
]
_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


class BadMessage(Exception):
    pass


def parse(text: str) -> Ping | Auth | Resume | MarkRead | MarkAllRead:
    """Parse one client message; anything malformed or unknown is a ``BadMessage``."""
    if len(text) > 64 * 1024:
        raise BadMessage("message too large")
    try:
        return _adapter.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadMessage(f"{where}: {first['msg']}" if where else first["msg"]) from None
