"""Auth events on the broker: credentials revoked or narrowed, published after the commit.

Auth says what changed, on one channel (``auth``), and knows nothing of who listens: it does
not import the real-time hub (auth loaded the whole notifications stack when it did). Every
process's hub subscribes and, for each open socket the event names (by the user watching, their
login session or their API token), closes it (4401) or checks again what the user may now do
(4403 when watching is no longer allowed). Before these events a role change never reached an
open socket, and a deleted API token's sockets lived until the next periodic check, 12-21 s
later; now both act within a broker round trip, on every process.

Published only after the change is committed, so a listener that reads the database sees it.
Publishing is best effort (a broker that is down must not fail the request that changed the
credentials): the hub's periodic check of every socket (``Hub.revalidate``) remains the
backstop for an event that was lost.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from wakedock.broker import Broker

logger = logging.getLogger(__name__)
CHANNEL = "auth"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: int


class SessionsRevoked(_Event):
    """Login sessions ended: one (``session_id``: logout, a reused refresh token) or every
    one of the user's but ``except_session_id`` (a password change). API tokens live on."""

    type: Literal["sessions_revoked"] = "sessions_revoked"
    session_id: str | None = None
    except_session_id: str | None = None
    reason: str = "session revoked"


class UserDisabled(_Event):
    """The user can no longer sign in or use any token."""

    type: Literal["user_disabled"] = "user_disabled"


class UserDeleted(_Event):
    """The user, their sessions, tokens and notifications are gone."""

    type: Literal["user_deleted"] = "user_deleted"


class RolesChanged(_Event):
    """The user's roles changed: what their sessions and tokens may do is read again."""

    type: Literal["roles_changed"] = "roles_changed"


class ApiTokenRevoked(_Event):
    """One of the user's API tokens was deleted."""

    type: Literal["api_token_revoked"] = "api_token_revoked"
    api_token_id: int


AuthEvent = Annotated[
    SessionsRevoked | UserDisabled | UserDeleted | RolesChanged | ApiTokenRevoked,
    Field(discriminator="type"),
]
_adapter: TypeAdapter[AuthEvent] = TypeAdapter(AuthEvent)


def encode(event: AuthEvent) -> bytes:
    return event.model_dump_json().encode()


def decode(payload: bytes) -> AuthEvent | None:
    """The event in ``payload``, or None for anything else (logged: a bug or a newer sender)."""
    try:
        return _adapter.validate_json(payload)
    except ValidationError:
        logger.warning("ignored a malformed auth event: %r", payload[:200])
        return None


async def publish(broker: Broker | None, *events: AuthEvent) -> None:
    """Tell every process, after the commit; never raises (the periodic check is the backstop)."""
    if broker is None:
        return
    for event in events:
        try:
            await broker.publish(CHANNEL, encode(event))
        except Exception:
            logger.warning(
                "could not publish %s for user %s; open sockets are checked again within "
                "the revalidation interval",
                event.type,
                event.user_id,
                exc_info=True,
            )
