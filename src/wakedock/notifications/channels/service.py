"""Configured delivery channels: CRUD with write-only secrets, tests, VAPID keys.

Secret fields (each channel module's ``SECRET_FIELDS``) are sealed with the keyring before a
row is written and opened only to validate or send (``plain_config``): the table never holds
them in clear, answers show only which ones are set, and the channel modules get plaintext.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.errors import Conflict, NotFound, ValidationFailed
from wakedock.netguard import NetPolicy
from wakedock.notifications.channels.base import DeliveryError, OutgoingMessage, SendContext
from wakedock.notifications.channels.registry import CHANNEL_TYPES
from wakedock.notifications.channels.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ChannelTestResult,
)
from wakedock.notifications.channels.webpush import generate_vapid_keys
from wakedock.notifications.models import NotificationChannel
from wakedock.notifications.states import ChannelKind
from wakedock.vault.keys import Keyring
from wakedock.vault.sealing import SecretUnreadable, seal_fields, unseal_fields


def to_out(row: NotificationChannel) -> ChannelOut:
    secrets = CHANNEL_TYPES[row.type].secret_fields
    return ChannelOut(
        id=row.id,
        name=row.name,
        type=row.type,
        config={k: v for k, v in row.config.items() if k not in secrets},
        secrets_set=sorted(k for k in secrets if row.config.get(k)),
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def plain_config(row: NotificationChannel, keyring: Keyring) -> dict[str, Any]:
    """The row's config with its secrets opened (``SecretUnreadable`` when a key is missing)."""
    return unseal_fields(keyring, row.config, CHANNEL_TYPES[row.type].secret_fields)


def _sealed(kind: str, config: dict[str, Any], keyring: Keyring) -> dict[str, Any]:
    return seal_fields(keyring, config, CHANNEL_TYPES[kind].secret_fields)


def _validate(kind: str, config: dict[str, Any]) -> None:
    try:
        CHANNEL_TYPES[kind].validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        # Never echo the input back: it may be a secret.
        raise ValidationFailed(
            f"config.{loc}: {first['msg']}",
            details=[
                {
                    "loc": ["body", "config", *first["loc"]],
                    "msg": first["msg"],
                    "type": first["type"],
                }
            ],
        ) from None


async def list_channels(session: AsyncSession) -> Sequence[NotificationChannel]:
    return (
        await session.scalars(select(NotificationChannel).order_by(NotificationChannel.id))
    ).all()


async def get_or_raise(session: AsyncSession, *, channel_id: int) -> NotificationChannel:
    row = await session.get(NotificationChannel, channel_id)
    if row is None:
        raise NotFound("Channel not found")
    return row


async def create(
    session: AsyncSession, *, actor: AuditActor, data: ChannelIn, keyring: Keyring
) -> NotificationChannel:
    _validate(data.type, data.config)
    if await session.scalar(
        select(NotificationChannel.id).where(NotificationChannel.name == data.name)
    ):
        raise Conflict(f"A channel named {data.name!r} exists", code="channel_exists")
    row = NotificationChannel(
        name=data.name,
        type=data.type,
        config=_sealed(data.type, data.config, keyring),
        is_active=data.is_active,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"A channel named {data.name!r} exists", code="channel_exists") from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CHANNEL_CREATE,
        resource_type="notification_channel",
        resource_id=row.id,
        details={"name": row.name, "type": row.type},
    )
    await session.commit()
    return row


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    channel_id: int,
    changes: ChannelPatch,
    keyring: Keyring,
) -> NotificationChannel:
    row = await get_or_raise(session, channel_id=channel_id)
    given = changes.model_dump(exclude_unset=True)
    if given.get("config") is not None:
        config = dict(given["config"])
        for secret in CHANNEL_TYPES[row.type].secret_fields:
            if secret not in config and row.config.get(secret):
                # write-only: keep what was stored (opened to validate, sealed again below)
                try:
                    config[secret] = unseal_fields(keyring, row.config, [secret])[secret]
                except SecretUnreadable as exc:
                    raise Conflict(
                        f"{exc} (send config.{secret} again)",
                        code="secret_unreadable",
                        details={"field": secret},
                    ) from None
        _validate(row.type, config)
        row.config = _sealed(row.type, config, keyring)
    if given.get("name") is not None and given["name"] != row.name:
        if await session.scalar(
            select(NotificationChannel.id).where(NotificationChannel.name == given["name"])
        ):
            raise Conflict(f"A channel named {given['name']!r} exists", code="channel_exists")
        row.name = given["name"]
    if given.get("is_active") is not None:
        row.is_active = bool(given["is_active"])
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CHANNEL_UPDATE,
        resource_type="notification_channel",
        resource_id=row.id,
        details={"fields": sorted(given)},
    )
    await session.commit()
    await session.refresh(row)
    return row


async def delete(session: AsyncSession, *, actor: AuditActor, channel_id: int) -> None:
    row = await get_or_raise(session, channel_id=channel_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CHANNEL_DELETE,
        resource_type="notification_channel",
        resource_id=row.id,
        details={"name": row.name},
    )
    await session.delete(row)
    await session.commit()


async def send_test(
    session: AsyncSession,
    *,
    actor: AuditActor,
    channel_id: int,
    recipient_email: str,
    recipient_name: str,
    policy: NetPolicy,
    keyring: Keyring,
    extra: dict[str, Any] | None = None,
) -> ChannelTestResult:
    """Send a test message now (not through the queue) and report the outcome."""
    row = await get_or_raise(session, channel_id=channel_id)
    message = OutgoingMessage(
        title="WakeDock test message",
        body=f"This is a test of the channel {row.name!r}.",
        event="test",
        recipient_email=recipient_email,
        recipient_name=recipient_name,
    )
    context = SendContext(
        delivery_id=0,
        attempt=1,
        channel_name=row.name,
        policy=policy,
        extra=extra or {},
    )
    started = time.perf_counter()
    error: str | None = None
    try:
        await CHANNEL_TYPES[row.type].send(plain_config(row, keyring), message, context=context)
    except (DeliveryError, SecretUnreadable) as exc:
        error = str(exc)
    duration = int((time.perf_counter() - started) * 1000)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CHANNEL_TEST,
        resource_type="notification_channel",
        resource_id=row.id,
        success=error is None,
        details={"error": error},
    )
    await session.commit()
    return ChannelTestResult(ok=error is None, error=error, duration_ms=duration)


async def webpush_channel(
    session: AsyncSession, *, subject: str, keyring: Keyring, create_missing: bool = True
) -> NotificationChannel | None:
    """The active web push channel; created with fresh VAPID keys on first use."""
    query = (
        select(NotificationChannel)
        .where(
            NotificationChannel.type == ChannelKind.WEBPUSH, NotificationChannel.is_active.is_(True)
        )
        .order_by(NotificationChannel.id)
    )
    row = (await session.scalars(query)).first()
    if row is not None or not create_missing:
        return row
    public, private = generate_vapid_keys()
    row = NotificationChannel(
        name="webpush",
        type=ChannelKind.WEBPUSH,
        config=_sealed(
            "webpush",
            {"vapid_public_key": public, "vapid_private_key": private, "subject": subject},
            keyring,
        ),
    )
    session.add(row)
    try:
        audit.record(
            session,
            actor=AuditActor.system("webpush"),
            action=AuditAction.CHANNEL_CREATE,
            resource_type="notification_channel",
            details={"name": "webpush", "type": "webpush"},
        )
        await session.commit()
    except IntegrityError:  # created concurrently
        await session.rollback()
        return (await session.scalars(query)).first()
    return row
