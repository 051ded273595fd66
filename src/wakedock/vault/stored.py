"""Every secret WakeDock stores, visited as a whole: re-seal on rotation, check readability.

Secrets live in three tables, each in a JSON config whose secret fields the row's type declares:
``notification_channels`` (``SECRET_FIELDS`` of each channel module: the SMTP password, the
webhook signing secret, the VAPID private key, the Apprise URL), ``widget_data_sources``
(``secret_keys`` of each data source kind: request headers such as ``Authorization``) and
``integrations`` (the HMAC ``secret`` of GitHub integrations and generic hooks). The tables
hold a handful of rows, so a pass reads them all in one transaction.

``reseal_all`` is the second step of a rotation: after a new primary key is put first, every
value sealed under an older key (and any plaintext one) is sealed again under the primary, in
one commit, so an old key can be retired once ``check`` reports nothing stale. A value no key
opens is reported by name and left as it is (never dropped, never logged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.dashboards.models import WidgetDataSource
from wakedock.dashboards.sources.registry import KINDS
from wakedock.integrations.models import Integration
from wakedock.integrations.service import SECRET_FIELDS as INTEGRATION_SECRET_FIELDS
from wakedock.notifications.channels.registry import CHANNEL_TYPES
from wakedock.notifications.models import NotificationChannel
from wakedock.vault.keys import Keyring
from wakedock.vault.sealing import PREFIX, SecretUnreadable, is_sealed, reseal_fields, unseal

logger = logging.getLogger(__name__)


def channel_fields(kind: str) -> tuple[str, ...]:
    return CHANNEL_TYPES[kind].secret_fields if kind in CHANNEL_TYPES else ()


def source_fields(kind: str) -> tuple[str, ...]:
    return KINDS[kind].secret_keys if kind in KINDS else ()


@dataclass
class Report:
    """What a pass found: values sealed, plaintext, sealed under an older key, unreadable."""

    sealed: int = 0
    plaintext: int = 0
    stale: int = 0
    resealed: int = 0
    unreadable: list[str] = field(default_factory=list)


async def _rows(session: AsyncSession) -> list[tuple[str, Any, tuple[str, ...]]]:
    channels = (await session.scalars(select(NotificationChannel))).all()
    sources = (await session.scalars(select(WidgetDataSource))).all()
    integrations = (await session.scalars(select(Integration))).all()
    return [
        *((f"channel {c.id} ({c.name})", c, channel_fields(c.type)) for c in channels),
        *((f"data source {s.id} ({s.uid})", s, source_fields(s.kind)) for s in sources),
        *((f"integration {i.id} ({i.name})", i, INTEGRATION_SECRET_FIELDS) for i in integrations),
    ]


def _values(config: dict[str, Any], fields: tuple[str, ...]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in fields:
        value = config.get(name)
        if isinstance(value, str):
            found.append((name, value))
        elif isinstance(value, dict):
            found += [(f"{name}.{k}", v) for k, v in value.items() if isinstance(v, str)]
    return found


async def check(session: AsyncSession, keyring: Keyring) -> Report:
    """Count the stored secrets by state; name the ones no key opens."""
    report = Report()
    for label, row, fields in await _rows(session):
        for name, value in _values(row.config, fields):
            if not is_sealed(value):
                report.plaintext += 1
                continue
            report.sealed += 1
            try:
                unseal(keyring, value, field=name)
            except SecretUnreadable:
                report.unreadable.append(f"{label}: {name}")
                continue
            if not keyring.primary_opens(value[len(PREFIX) :].encode()):
                report.stale += 1
    return report


async def reseal_all(session: AsyncSession, keyring: Keyring) -> Report:
    """Seal every plaintext secret and re-seal every older one under the primary key."""
    report = Report()
    for label, row, fields in await _rows(session):
        try:
            config, changed = reseal_fields(keyring, row.config, fields)
        except SecretUnreadable as exc:
            report.unreadable.append(f"{label}: {exc.field}")
            continue
        if changed:
            row.config = config
            report.resealed += changed
    await session.commit()
    return report


async def check_at_startup(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: Keyring
) -> Report:
    """Load the keys (creating the keys file on first start; ``KeyringError`` stops the start
    when they are unusable) and log each stored secret they cannot open, by name only."""
    keyring.keys()
    async with sessionmaker() as session:
        report = await check(session, keyring)
    for label in report.unreadable:
        logger.error(
            "stored secret cannot be decrypted with the keys from %s: %s (its deliveries or"
            " fetches fail until the key is restored or the secret entered again)",
            keyring.source,
            label,
        )
    if report.plaintext:
        logger.warning(
            "%d stored secret(s) are not encrypted: run `wakedock secrets rotate`",
            report.plaintext,
        )
    return report
