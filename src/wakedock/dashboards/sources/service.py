"""Widget data sources (dashboards:admin manages them): built-in and upstream ones.

The secret keys of a source's config (each kind's ``secret_keys``, e.g. request headers) are
sealed with the keyring before the row is written and opened only to validate or fetch
(``plain_config``); answers show them masked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.dashboards.models import DashboardWidget, WidgetDataSource
from wakedock.dashboards.schemas import DataError
from wakedock.dashboards.sources.base import FetchContext, SourceError
from wakedock.dashboards.sources.registry import KINDS
from wakedock.dashboards.sources.schemas import DataSourceTest
from wakedock.db.base import utcnow
from wakedock.errors import Conflict, NotFound, ValidationFailed
from wakedock.settings import Settings
from wakedock.vault.sealing import SecretUnreadable, seal_fields, unseal_fields
from wakedock.wording import plural

MASK = "********"
BUILTINS: tuple[dict[str, Any], ...] = (
    {
        "uid": "notifications",
        "name": "Notifications",
        "kind": "notifications",
        "description": "Each viewer's own notifications (personal: never shown when shared)",
        "refresh_interval_seconds": 5,
    },
    {
        "uid": "system",
        "name": "This host",
        "kind": "system",
        "description": "CPU, memory, disk, network, load and uptime of the WakeDock server",
        "config": {"disk_paths": ["/"]},
        "refresh_interval_seconds": 5,
    },
)


async def ensure_builtins(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Create the built-in sources when missing (idempotent, safe across worker processes)."""
    async with sessionmaker() as session:
        existing = set((await session.scalars(select(WidgetDataSource.uid))).all())
        for spec in BUILTINS:
            if spec["uid"] in existing:
                continue
            session.add(WidgetDataSource(builtin=True, **{"config": {}, **spec}))
            try:
                await session.commit()
            except IntegrityError:  # another process made it first
                await session.rollback()


async def list_sources(session: AsyncSession) -> Sequence[WidgetDataSource]:
    query = select(WidgetDataSource).order_by(
        WidgetDataSource.builtin.desc(), WidgetDataSource.name, WidgetDataSource.id
    )
    return (await session.scalars(query)).all()


async def get_or_raise(session: AsyncSession, *, source_id: int) -> WidgetDataSource:
    source = await session.get(WidgetDataSource, source_id)
    if source is None:
        raise NotFound("Data source not found")
    return source


async def get_by_uid(session: AsyncSession, *, uid: str) -> WidgetDataSource | None:
    return (
        await session.scalars(select(WidgetDataSource).where(WidgetDataSource.uid == uid))
    ).first()


def _secret_keys(kind: str) -> tuple[str, ...]:
    return KINDS[kind].secret_keys if kind in KINDS else ()


def plain_config(source: WidgetDataSource, settings: Settings) -> dict[str, Any]:
    """The config with its secrets opened; ``SourceError`` when a key to open them is missing."""
    try:
        return unseal_fields(settings.keyring, source.config, _secret_keys(source.kind))
    except SecretUnreadable as exc:
        raise SourceError("secret_unreadable", str(exc)) from None


def _kept(source: WidgetDataSource, settings: Settings, key: str) -> Any:
    """A stored secret kept by an update, opened (409 when no key opens it)."""
    try:
        return unseal_fields(settings.keyring, source.config, [key])[key]
    except SecretUnreadable as exc:
        raise Conflict(
            f"{exc} (send config.{key} again)", code="secret_unreadable", details={"field": key}
        ) from None


def masked_config(source: WidgetDataSource) -> dict[str, Any]:
    """The config with every secret value replaced by a mask (safe to show an admin)."""
    secret_keys = KINDS[source.kind].secret_keys if source.kind in KINDS else ()
    shown: dict[str, Any] = {}
    for key, value in source.config.items():
        if key in secret_keys and isinstance(value, dict):
            shown[key] = {name: MASK for name in value}
        elif key in secret_keys:
            shown[key] = MASK
        else:
            shown[key] = value
    return shown


async def _validated(
    kind: str, config: dict[str, Any], settings: Settings, *, field: str
) -> dict[str, Any]:
    module = KINDS[kind]
    errors = list(Draft202012Validator(module.config_schema).iter_errors(config))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path)
        raise ValidationFailed(
            f"Invalid {kind} config" + (f" at {where}" if where else "") + f": {first.message}",
            field=field + (f".{where}" if where else ""),
        )
    try:
        await module.check_config(config, settings)
    except SourceError as exc:
        raise ValidationFailed(exc.message, field=f"{field}.url", code=exc.code) from None
    return config


async def create(
    session: AsyncSession,
    *,
    actor: AuditActor,
    settings: Settings,
    uid: str,
    name: str,
    kind: str,
    description: str,
    config: dict[str, Any],
    refresh_interval_seconds: int,
) -> WidgetDataSource:
    config = await _validated(kind, config, settings, field="body.config")
    config = seal_fields(settings.keyring, config, _secret_keys(kind))
    if await get_by_uid(session, uid=uid) is not None:
        raise Conflict(f"A data source with uid {uid!r} exists", code="data_source_exists")
    source = WidgetDataSource(
        uid=uid,
        name=name,
        kind=kind,
        description=description,
        config=config,
        refresh_interval_seconds=refresh_interval_seconds,
        created_by=actor.user_id,
    )
    session.add(source)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(
            f"A data source with uid {uid!r} exists", code="data_source_exists"
        ) from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_SOURCE_CREATE,
        resource_type="data_source",
        resource_id=source.id,
        details={"uid": uid, "kind": kind, "name": name, "config_keys": sorted(config)},
    )
    await session.commit()
    return source


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    settings: Settings,
    source: WidgetDataSource,
    changes: dict[str, Any],
) -> WidgetDataSource:
    """Change a source; secrets left out of a new config keep their stored value."""
    if "config" in changes:
        new = dict(changes["config"])
        if source.builtin and source.kind != "system":
            raise ValidationFailed("This built-in source has no settings", field="body.config")
        secret_keys = _secret_keys(source.kind)
        for key in secret_keys:
            if key not in new and key in source.config:
                new[key] = _kept(source, settings, key)
            elif (
                isinstance(new.get(key), dict)
                and isinstance(source.config.get(key), dict)
                and MASK in new[key].values()
            ):
                # A masked value sent back unchanged keeps the stored secret.
                stored = _kept(source, settings, key)
                new[key] = {
                    name: stored.get(name, value) if value == MASK else value
                    for name, value in new[key].items()
                }
        new = await _validated(source.kind, new, settings, field="body.config")
        try:
            unchanged = new == plain_config(source, settings)
        except SourceError:
            unchanged = False
        if unchanged:  # sealing again would only change the ciphertext
            del changes["config"]
        else:
            changes["config"] = seal_fields(settings.keyring, new, secret_keys)
    changed = sorted(k for k, v in changes.items() if getattr(source, k) != v)
    for key in changed:
        setattr(source, key, changes[key])
    if changed:
        source.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.DASHBOARD_SOURCE_UPDATE,
            resource_type="data_source",
            resource_id=source.id,
            details={"uid": source.uid, "changed": changed},
        )
        await session.commit()
    return source


async def delete(session: AsyncSession, *, actor: AuditActor, source: WidgetDataSource) -> None:
    """Delete a source no widget uses; built-in ones stay."""
    if source.builtin:
        raise Conflict("Built-in data sources cannot be deleted", code="builtin_data_source")
    in_use = int(
        await session.scalar(
            select(func.count())
            .select_from(DashboardWidget)
            .where(DashboardWidget.data_source_id == source.id)
        )
        or 0
    )
    if in_use:
        raise Conflict(
            f"{plural(in_use, 'widget')} {'uses' if in_use == 1 else 'use'} this data source: "
            f"change or delete {'it' if in_use == 1 else 'them'} first",
            code="data_source_in_use",
            details={"widgets": in_use},
        )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.DASHBOARD_SOURCE_DELETE,
        resource_type="data_source",
        resource_id=source.id,
        details={"uid": source.uid, "kind": source.kind},
    )
    await session.delete(source)
    await session.commit()


def fingerprint(source: WidgetDataSource) -> str:
    """Changes whenever the source's config does (part of the cache key)."""
    raw = json.dumps(source.config, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


async def try_source(
    source: WidgetDataSource,
    *,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    user_id: int,
) -> DataSourceTest:
    """Fetch from the source now, bypassing the cache; any failure is reported, never raised."""
    kind = KINDS[source.kind]
    query: dict[str, object] = {}
    if source.kind == "prometheus":
        query = {"type": "instant", "query": "vector(1)"}
    elif source.kind == "notifications":
        query = {"op": "unread"}
    ctx = FetchContext(
        settings=settings,
        sessionmaker=sessionmaker,
        now=now,
        user_id=user_id,
    )
    try:
        await kind.fetch(plain_config(source, settings), query, ctx)
    except SourceError as exc:
        return DataSourceTest(status="error", error=DataError(**exc.as_dict()))
    except Exception as exc:  # the test reports any failure; it never answers 500
        failure = SourceError("source_failed", f"The data source failed ({type(exc).__name__})")
        return DataSourceTest(status="error", error=DataError(**failure.as_dict()))
    return DataSourceTest(status="ok")
