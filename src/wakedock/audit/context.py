"""Who did something, and from where: attached to every audit event."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection


@dataclass(frozen=True, slots=True)
class AuditActor:
    user_id: int | None
    username: str | None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> AuditActor:
        return cls(user_id=None, username=name)


def client_ip(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


def user_agent(conn: HTTPConnection) -> str | None:
    value = conn.headers.get("user-agent")
    return value[:512] if value else None


def anonymous_actor(conn: HTTPConnection) -> AuditActor:
    """Where a request comes from, before knowing who sent it (``Principal.acting`` names it)."""
    return AuditActor(user_id=None, username=None, ip=client_ip(conn), user_agent=user_agent(conn))
