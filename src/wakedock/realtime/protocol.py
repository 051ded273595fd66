"""Messages of the WebSocket protocol (docs/websocket.md): what clients send, parsed here, and
the typed shape of the server's first message (``Hello``), which the UI's generated client takes
from web/openapi.json (``wakedock.web.openapi`` adds it: no HTTP route returns it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from wakedock.bounds import INT64_MAX, Id

# Close codes
UNAUTHORIZED = 4401
FORBIDDEN = 4403
TOO_SLOW = 4408
INTERNAL_ERROR = 1011
AUTH_TIMEOUT_SECONDS = 5.0
# Ids and positions are 64-bit signed integers in both databases: a larger number is refused
# here, where it is parsed, never sent to the database (where it fails the statement).
# JSON integers only (bounds.Id is strict): not a float (1e20, 5.0), a string ("5"), a bool or null.
MAX_ID = INT64_MAX
Since = Annotated[StrictInt, Field(ge=0, le=MAX_ID)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ping(_Message):
    type: Literal["ping"]


class Auth(_Message):
    type: Literal["auth"]
    token: Annotated[str, Field(min_length=1, max_length=4096)]


class Resume(_Message):
    type: Literal["resume"]
    since: Since


class MarkRead(_Message):
    type: Literal["mark_read"]
    ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]


class MarkAllRead(_Message):
    type: Literal["mark_all_read"]


ClientMessage = Annotated[
    Ping | Auth | Resume | MarkRead | MarkAllRead, Field(discriminator="type")
]
_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


class BadMessage(Exception):
    """A client message the server cannot act on; answered with an ``error`` of ``code``
    (``bad_since`` for a resume whose ``since`` is not a notification id, else
    ``bad_message``); the connection stays open."""

    def __init__(self, message: str, code: str = "bad_message") -> None:
        super().__init__(message)
        self.code = code


SINCE_MESSAGE = f"since must be a notification id: an integer from 0 to {MAX_ID}"


def parse_since(value: str | None) -> int | None:
    """``?since=`` or ``Last-Event-ID``: a notification id in decimal digits, else None."""
    if value is None or not 0 < len(value) <= 19 or not value.isascii() or not value.isdigit():
        return None
    since = int(value)
    return since if since <= MAX_ID else None


def parse(text: str) -> Ping | Auth | Resume | MarkRead | MarkAllRead:
    """Parse one client message; anything malformed or unknown is a ``BadMessage``."""
    if len(text) > 64 * 1024:
        raise BadMessage("message too large")
    try:
        return _adapter.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        if tuple(first["loc"][:2]) == ("resume", "since"):
            raise BadMessage(SINCE_MESSAGE, "bad_since") from None
        where = ".".join(str(p) for p in first["loc"])
        raise BadMessage(f"{where}: {first['msg']}" if where else first["msg"]) from None


class Hello(BaseModel):
    """The server's first message on every WebSocket and SSE connection."""

    type: Literal["hello"]
    user_id: int
    connection_id: str
    unread_count: int
    server_time: datetime
    heartbeat_interval: float


# Server messages published as OpenAPI components for the UI's generated client.
SERVER_MESSAGES: tuple[type[BaseModel], ...] = (Hello,)
