"""The authenticated caller of a request or socket."""

from __future__ import annotations

from dataclasses import dataclass

from wakedock.audit.context import AuditActor
from wakedock.auth.models import User
from wakedock.auth.permissions import Permission


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    permissions: frozenset[Permission]
    session_id: str | None = None  # set for access tokens (a login session)
    api_token_id: int | None = None  # set for API tokens

    @property
    def user_id(self) -> int:
        return self.user.id

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    def acting(self, meta: AuditActor | None = None) -> AuditActor:
        """This principal as the actor of an audit event, from where ``meta`` says."""
        return AuditActor(
            user_id=self.user.id,
            username=self.user.username,
            ip=meta.ip if meta else None,
            user_agent=meta.user_agent if meta else None,
        )
