"""Integrations: CRUD by an admin (audited), and finding the integration an inbound request
is for.

Credentials: Alertmanager and Grafana send a bearer token (``wdi_…``) that WakeDock makes and
shows once; only its SHA-256 is stored (``token_hash``), looked up like an API token. It opens
nothing but its own integration's receiving route: it is not an API token and reads nothing.
GitHub and hooks sign their body; the secret (given or generated, shown once) is sealed by the
vault (``config["secret"]``, ``enc:v1:…``) and opened only to check a signature. Neither is ever
returned after the create, written to the audit log or logged.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit import service as audit
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth.tokens import new_opaque_token, sha256
from wakedock.errors import Conflict, Forbidden, NotFound, Unauthorized
from wakedock.integrations import hooks
from wakedock.integrations.models import Integration
from wakedock.integrations.schemas import (
    TOKEN_KINDS,
    IntegrationIn,
    IntegrationPatch,
    Kind,
)
from wakedock.notifications.templates.pool import TemplateRenderer
from wakedock.vault.keys import Keyring
from wakedock.vault.sealing import seal, unseal

TOKEN_PREFIX = "wdi_"
SECRET_FIELDS = ("secret",)
DEFAULT_SIGNATURE_HEADER = "X-Signature-256"


def _conflict(name: str) -> Conflict:
    return Conflict(f"An integration named {name!r} exists", code="integration_exists")


async def list_all(session: AsyncSession) -> Sequence[Integration]:
    return (await session.scalars(select(Integration).order_by(Integration.id))).all()


async def get_or_raise(session: AsyncSession, *, integration_id: int) -> Integration:
    row = await session.get(Integration, integration_id)
    if row is None:
        raise NotFound("Integration not found")
    return row


async def create(
    session: AsyncSession,
    *,
    actor: AuditActor,
    data: IntegrationIn,
    keyring: Keyring,
    renderer: TemplateRenderer,
) -> tuple[Integration, str | None, str | None]:
    """Create an integration; returns it and its token or secret (plaintext, this once)."""
    token = secret = None
    config: dict[str, Any] = {}
    if data.kind in TOKEN_KINDS:
        token = new_opaque_token(TOKEN_PREFIX)
    else:
        secret = data.secret or random.token_urlsafe(32)
        config["secret"] = seal(keyring, secret)
    if data.kind == Kind.HOOK:
        assert data.templates is not None
        templates = data.templates.model_dump(exclude_none=True)
        await hooks.check(renderer, templates)
        config["signature_header"] = data.signature_header or DEFAULT_SIGNATURE_HEADER
        config["templates"] = templates
    row = Integration(
        kind=data.kind.value,
        name=data.name,
        target=data.target.model_dump(exclude_none=True, mode="json"),
        config=config,
        token_hash=sha256(token) if token else None,
        created_by=actor.user_id,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise _conflict(data.name) from None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.INTEGRATION_CREATE,
        resource_type="integration",
        resource_id=row.id,
        details={"name": data.name, "kind": data.kind.value, "target": row.target},
    )
    await session.commit()
    await session.refresh(row)
    return row, token, secret


async def update(
    session: AsyncSession,
    *,
    actor: AuditActor,
    integration_id: int,
    data: IntegrationPatch,
    renderer: TemplateRenderer,
) -> Integration:
    row = await get_or_raise(session, integration_id=integration_id)
    changes = data.model_dump(exclude_unset=True)
    if ("templates" in changes or "signature_header" in changes) and row.kind != Kind.HOOK:
        raise Conflict("templates and signature_header are for hooks only", code="not_a_hook")
    if data.name is not None:
        row.name = data.name
    if data.target is not None:
        row.target = data.target.model_dump(exclude_none=True, mode="json")
    if data.is_active is not None:
        row.is_active = data.is_active
    config = dict(row.config)
    if data.templates is not None:
        templates = data.templates.model_dump(exclude_none=True)
        await hooks.check(renderer, templates)
        config["templates"] = templates
    if data.signature_header is not None:
        config["signature_header"] = data.signature_header
    row.config = config
    audit.record(
        session,
        actor=actor,
        action=AuditAction.INTEGRATION_UPDATE,
        resource_type="integration",
        resource_id=row.id,
        details={"fields": sorted(changes)},
    )
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise _conflict(data.name or "") from None
    await session.refresh(row)
    return row


async def delete(session: AsyncSession, *, actor: AuditActor, integration_id: int) -> None:
    row = await get_or_raise(session, integration_id=integration_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.INTEGRATION_DELETE,
        resource_type="integration",
        resource_id=row.id,
        details={"name": row.name, "kind": row.kind},
    )
    await session.delete(row)
    await session.commit()


async def by_token(session: AsyncSession, *, token: str | None, kind: Kind) -> Integration:
    """The active integration whose token this is (401), of the route's kind (403)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 256:
        raise Unauthorized("An integration token (wdi_…) is required")
    row = await session.scalar(select(Integration).where(Integration.token_hash == sha256(token)))
    if row is None or not row.is_active:
        raise Unauthorized("Unknown or disabled integration token")
    if row.kind != kind.value:
        raise Forbidden(
            f"This token belongs to a {row.kind} integration, not {kind.value}",
            code="wrong_integration",
        )
    return row


async def signed(session: AsyncSession, *, integration_id: int, kinds: set[Kind]) -> Integration:
    """The active integration of one of ``kinds`` with this id (404 otherwise: an unknown id
    and another kind's id answer alike)."""
    row = await session.get(Integration, integration_id)
    if row is None or row.kind not in kinds or not row.is_active:
        raise NotFound("Integration not found")
    return row


def secret_of(keyring: Keyring, row: Integration) -> str:
    """The integration's HMAC secret in plaintext (for checking a signature only)."""
    return unseal(keyring, str(row.config.get("secret", "")), field="secret")
