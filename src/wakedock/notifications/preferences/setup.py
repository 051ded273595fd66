"""Whether the server can deliver e-mail and web push at all, and what is missing if not.

A user's ``email_enabled``/``push_enabled`` are wishes; they take effect only once the server
has an active e-mail channel (SMTP) and web push keys (VAPID). Issue 21: a fresh install showed
both switched on with neither configured. The preferences screen reads this and shows the
channel as not configured, saying what is missing and how to set it up."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.notifications.models import NotificationChannel


class ChannelSetup(BaseModel):
    configured: bool
    missing: str | None = None
    how: str | None = None


class DeliverySetup(BaseModel):
    email: ChannelSetup
    push: ChannelSetup


EMAIL_MISSING = ChannelSetup(
    configured=False,
    missing="No SMTP server is configured, so no e-mail is sent.",
    how=(
        "An admin adds an e-mail channel (Admin → Channels → type email: SMTP host, port, "
        "TLS mode, from address, and username/password if the server needs them)."
    ),
)
PUSH_MISSING = ChannelSetup(
    configured=False,
    missing="The server has no web push (VAPID) keys yet, so no push is sent.",
    how=(
        "Run `wakedock vapid generate` on the server, or turn on web push in this browser "
        "below: the keys are made on first use (the page must be served over HTTPS or on "
        "localhost)."
    ),
)


async def delivery_setup(session: AsyncSession) -> DeliverySetup:
    types = set(
        (
            await session.scalars(
                select(NotificationChannel.type)
                .where(
                    NotificationChannel.is_active.is_(True),
                    NotificationChannel.type.in_(("email", "webpush")),
                )
                .distinct()
            )
        ).all()
    )
    return DeliverySetup(
        email=ChannelSetup(configured=True) if "email" in types else EMAIL_MISSING,
        push=ChannelSetup(configured=True) if "webpush" in types else PUSH_MISSING,
    )
