"""The authenticated caller of a request or socket."""

from __future__ import annotations

from dataclasses import dataclass

from wakedock.audit.context import AuditActor
from wakedock.auth.permissions import Permission


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as plain values read by one Core query per request (no ORM ``User``:
    loading one with its roles cost a notification create a sixth of its time). A route that
    changes the account loads the ``User`` row itself."""

    user_id: int
    username: str
    roles: tuple[str, ...]
    permissions: frozenset[Permission]
    session_id: str | None = None  # set for access tokens (a login session)
    api_token_id: int | None = None  # set for API tokens

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def is_anonymous(self) -> bool:
        """A publisher without credentials, let in by a topic's rule (``ANONYMOUS``)."""
        return self.user_id == ANONYMOUS_USER_ID

    def acting(self, meta: AuditActor | None = None) -> AuditActor:
        """This principal as the actor of an audit event, from where ``meta`` says."""
        return AuditActor(
            user_id=None if self.is_anonymous else self.user_id,
            username=self.username,
            ip=meta.ip if meta else None,
            user_agent=meta.user_agent if meta else None,
        )


# No account has id 0 (ids start at 1): the caller of an anonymous publish to a topic an admin
# opened (``notifications.topics``). It holds no permission and owns nothing.
ANONYMOUS_USER_ID = 0
ANONYMOUS = Principal(
    user_id=ANONYMOUS_USER_ID, username="anonymous", roles=(), permissions=frozenset()
)
