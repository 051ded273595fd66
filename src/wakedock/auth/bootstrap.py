"""First start: create the configured admin when the database has no user at all."""

from __future__ import annotations

import logging
import secrets
import sys

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit.context import AuditActor
from wakedock.auth import service
from wakedock.auth.permissions import Role
from wakedock.errors import Conflict
from wakedock.settings import Settings

logger = logging.getLogger(__name__)


async def ensure_admin(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> bool:
    """Create the admin from ``WAKEDOCK_ADMIN_*``; returns True when one was created."""
    async with sessionmaker() as session:
        if await service.count(session) > 0:
            return False
        given = settings.admin_password.get_secret_value() if settings.admin_password else ""
        password = given or secrets.token_urlsafe(12)
        try:
            await service.create(
                session,
                actor=AuditActor.system("bootstrap"),
                username=settings.admin_username,
                email=settings.admin_email,
                password=password,
                roles=[Role.ADMIN],
            )
        except Conflict:  # another worker process created it first
            return False
    logger.info("created admin user %r", settings.admin_username)
    if not given:
        # Printed once, to the terminal only: it is never stored anywhere in clear.
        print(
            f"\n  WakeDock created the admin user {settings.admin_username!r} with password:\n"
            f"      {password}\n  Change it after logging in: the web UI's Profile page,\n"
            "  or PATCH /api/auth/me with current_password and new_password.\n",
            file=sys.stderr,
            flush=True,
        )
    return True
