"""/api/dashboards/data-sources: where widgets get live data (dashboards:admin manages them)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.auth.permissions import Permission
from wakedock.bounds import IdParam
from wakedock.clock import get_clock
from wakedock.dashboards.dependencies import Admin, DataRuntime, Reader
from wakedock.dashboards.models import WidgetDataSource
from wakedock.dashboards.sources import service as sources
from wakedock.dashboards.sources.schemas import (
    DataSourceCreate,
    DataSourceList,
    DataSourceOut,
    DataSourceTest,
    DataSourceUpdate,
)
from wakedock.dependencies import AppSettings, DbSession
from wakedock.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/dashboards/data-sources", tags=["dashboards"], responses=ERROR_RESPONSES
)


def source_out(source: WidgetDataSource, *, show_config: bool) -> DataSourceOut:
    return DataSourceOut(
        id=source.id,
        uid=source.uid,
        name=source.name,
        kind=source.kind,
        description=source.description,
        builtin=source.builtin,
        refresh_interval_seconds=source.refresh_interval_seconds,
        config=sources.masked_config(source) if show_config else None,
        created_at=source.created_at,
        updated_at=source.updated_at,
    )


@router.get("", summary="Data sources (their config is shown to dashboards:admin only)")
async def list_sources(principal: Reader, db: DbSession) -> DataSourceList:
    admin = principal.has(Permission.DASHBOARDS_ADMIN)
    return DataSourceList(
        items=[source_out(s, show_config=admin) for s in await sources.list_sources(db)]
    )


@router.get("/{source_id:int}", summary="One data source")
async def get_source(source_id: IdParam, principal: Reader, db: DbSession) -> DataSourceOut:
    source = await sources.get_or_raise(db, source_id=source_id)
    return source_out(source, show_config=principal.has(Permission.DASHBOARDS_ADMIN))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a prometheus or http_json data source (its URL must pass the SSRF guard)",
)
async def create_source(
    body: DataSourceCreate,
    principal: Admin,
    db: DbSession,
    settings: AppSettings,
    meta: RequestMeta,
) -> DataSourceOut:
    source = await sources.create(
        db, actor=principal.acting(meta), settings=settings, **body.model_dump()
    )
    return source_out(source, show_config=True)


@router.patch("/{source_id:int}", summary="Change a data source")
async def update_source(
    source_id: IdParam,
    body: DataSourceUpdate,
    principal: Admin,
    db: DbSession,
    settings: AppSettings,
    meta: RequestMeta,
) -> DataSourceOut:
    source = await sources.get_or_raise(db, source_id=source_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    source = await sources.update(
        db, actor=principal.acting(meta), settings=settings, source=source, changes=changes
    )
    return source_out(source, show_config=True)


@router.delete(
    "/{source_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a data source no widget uses",
)
async def delete_source(
    source_id: IdParam, principal: Admin, db: DbSession, meta: RequestMeta
) -> Response:
    source = await sources.get_or_raise(db, source_id=source_id)
    await sources.delete(db, actor=principal.acting(meta), source=source)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{source_id:int}/test",
    summary="Try the source now, bypassing the cache (like a 'save & test' button)",
)
async def test_source(
    source_id: IdParam, request: Request, principal: Admin, db: DbSession, runtime: DataRuntime
) -> DataSourceTest:
    source = await sources.get_or_raise(db, source_id=source_id)
    return await sources.try_source(
        source,
        settings=runtime.settings,
        sessionmaker=runtime.sessionmaker,
        now=get_clock(request).now(),
        user_id=principal.user_id,
    )
