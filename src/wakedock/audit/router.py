"""/api/audit: read the audit log (audit:read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from wakedock.audit import service
from wakedock.audit.actions import ACTIONS
from wakedock.audit.schemas import AuditActionOut, AuditEventOut, AuditPage
from wakedock.auth.dependencies import require
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.bounds import DateTime, IdParam
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES
from wakedock.pagination import Cursor, decode_id_cursor, encode_cursor

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=ERROR_RESPONSES)


@router.get("", summary="Audit events, newest first, with filters and cursor pagination")
async def list_audit_events(
    _: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
    actor_id: IdParam | None = None,
    actor_name: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="exact action, or a prefix ending in '.'")
    ] = None,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=128)] = None,
    success: bool | None = None,
    since: DateTime | None = None,
    until: DateTime | None = None,
) -> AuditPage:
    before = decode_id_cursor(cursor)
    events = await service.list_events(
        db,
        limit=limit + 1,
        before_id=before,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        success=success,
        since=since,
        until=until,
    )
    page = list(events[:limit])
    next_cursor = encode_cursor(id=page[-1].id) if len(events) > limit else None
    return AuditPage(items=[AuditEventOut.model_validate(e) for e in page], next_cursor=next_cursor)


@router.get("/actions", summary="Every action the audit log records, with its details' keys")
async def list_audit_actions(
    _: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
) -> list[AuditActionOut]:
    return [
        AuditActionOut(
            action=action,
            description=spec.description,
            resource_type=spec.resource_type,
            details=sorted(spec.details),
        )
        for action, spec in ACTIONS.items()
    ]
