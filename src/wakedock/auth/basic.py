"""Username and password on every request (HTTP Basic, as ntfy and Gotify clients send them).

The same check as a login (``sessions.login``): the same throttle per account and per address,
every failure audited as a failed ``auth.login`` (so failures here and at the login form count
together), a disabled account refused. Unlike a login it opens no session: the answer is a
principal for this one request, holding the roles' permissions.

A phone app sends the password with every request and keeps a stream open per topic, and an
Argon2id check costs ~140 ms of CPU at the production parameters: a successful check is
remembered for ``CACHE_SECONDS`` in this process, keyed by a hash of the login, the password
and the stored hash, so a changed password (a new stored hash) or a disabled account (read at
every request) takes effect at once. Successes are not audited (a stream's reconnects would
fill the log); failures are.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit.context import AuditActor
from wakedock.auth import service
from wakedock.auth.permissions import permissions_for
from wakedock.auth.principal import Principal
from wakedock.auth.sessions import check_password
from wakedock.settings import Settings

CACHE_SECONDS = 300.0
_CACHE_MAX = 4096
_verified: dict[bytes, float] = {}


def _key(login: str, password: str, password_hash: str) -> bytes:
    return hashlib.sha256("\x00".join((login, password, password_hash)).encode()).digest()


def _remembered(key: bytes) -> bool:
    at = _verified.get(key)
    return at is not None and time.monotonic() - at < CACHE_SECONDS


def _remember(key: bytes) -> None:
    if len(_verified) >= _CACHE_MAX:
        _verified.clear()
    _verified[key] = time.monotonic()


async def authenticate(
    session: AsyncSession, settings: Settings, *, login: str, password: str, meta: AuditActor
) -> Principal:
    """The account ``login`` names if ``password`` is its password (401 otherwise, 429 when
    throttled), as a principal with its roles' permissions."""
    known = await service.get_by_login(session, login=login)
    if (
        known is not None
        and known.is_active
        and _remembered(_key(login, password, known.password_hash))
    ):
        return await _principal(session, known.id, known.username)
    user = await check_password(
        session, settings, login=login, password=password, meta=meta, method="basic"
    )
    _remember(_key(login, password, user.password_hash))
    return await _principal(session, user.id, user.username)


async def _principal(session: AsyncSession, user_id: int, username: str) -> Principal:
    roles = tuple(sorted((await service.roles_of(session, user_ids=[user_id])).get(user_id, [])))
    return Principal(
        user_id=user_id, username=username, roles=roles, permissions=permissions_for(roles)
    )
