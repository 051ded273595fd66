"""Who did something, and from where: attached to every audit event.

"From where" is the connection's client address as the server resolved it: the peer, or, when
the peer is one of ``WAKEDOCK_TRUSTED_PROXIES``, the client its ``X-Forwarded-For`` names
(Uvicorn's proxy-headers middleware rewrites the scope before any of WakeDock runs). Audit
events, login throttling and the sessions list all read it here, so they agree.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import HTTPConnection
from starlette.types import Scope

# A failed login records the name as typed (up to 320 characters, an e-mail), cut to this.
ACTOR_NAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class AuditActor:
    user_id: int | None
    username: str | None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> AuditActor:
        return cls(user_id=None, username=name)


IP_MAX_LENGTH = 64  # the audit and session ``ip`` columns


def normalize_ip(host: str) -> str:
    """One spelling per address (``0:0::1`` is ``::1``); anything else (a proxy's odd forwarded
    value, a test client's name) is kept as text, cut to fit the column."""
    if len(host) > IP_MAX_LENGTH:  # no address is this long; never a cache key
        return host[:IP_MAX_LENGTH]
    return _normalize(host)


@lru_cache(maxsize=4096)
def _normalize(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def client_ip(conn: HTTPConnection) -> str | None:
    client = conn.scope.get("client")
    return normalize_ip(client[0]) if client and client[0] else None


def user_agent(conn: HTTPConnection) -> str | None:
    value = conn.headers.get("user-agent")
    return value[:512] if value else None


def anonymous_actor(conn: HTTPConnection) -> AuditActor:
    """Where a request comes from, before knowing who sent it (``Principal.acting`` names it)."""
    return actor_at(conn.scope, user_agent(conn))


def actor_at(scope: Scope, agent: str | None) -> AuditActor:
    """``anonymous_actor`` given the request's scope and its user agent (as ``user_agent``
    reads it): for a path that reads the headers itself."""
    client = scope.get("client")
    ip = normalize_ip(client[0]) if client and client[0] else None
    return AuditActor(user_id=None, username=None, ip=ip, user_agent=agent)
