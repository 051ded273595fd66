"""/api/dashboards: layouts, widgets, their live data, sharing, preferences, widget types."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, Response, status

from wakedock.auth.dependencies import RequestMeta
from wakedock.bounds import INT64_MAX, IdParam
from wakedock.clock import get_clock
from wakedock.dashboards import actions, data, preferences, service, sharing
from wakedock.dashboards.dependencies import DataRuntime, Reader, Writer
from wakedock.dashboards.schemas import (
    ActionResult,
    DuplicateRequest,
    Grid,
    LayoutCreate,
    LayoutData,
    LayoutList,
    LayoutOut,
    LayoutSave,
    LayoutSummary,
    LayoutUpdate,
    Position,
    PreferencesOut,
    PreferencesUpdate,
    SharedLayout,
    SharedWidget,
    ShareOut,
    WidgetCreate,
    WidgetData,
    WidgetOut,
    WidgetTypeList,
    WidgetTypeOut,
    WidgetUpdate,
)
from wakedock.dashboards.shapes import layout_out, summary_fields, widget_out
from wakedock.dashboards.widgets import WIDGET_TYPES
from wakedock.dependencies import DbSession
from wakedock.errors import ERROR_RESPONSES, NotFound
from wakedock.notifications.dependencies import AppBroker

router = APIRouter(prefix="/api/dashboards", tags=["dashboards"], responses=ERROR_RESPONSES)

LayoutId = Annotated[int, Path(ge=1, le=INT64_MAX)]


# ---------------------------------------------------------------- catalogue and preferences


@router.get("/widget-types", summary="Widget types with their config JSON Schema and sizes")
async def widget_types(_: Reader) -> WidgetTypeList:
    return WidgetTypeList(
        items=[WidgetTypeOut.model_validate(t.describe()) for t in WIDGET_TYPES.values()]
    )


@router.get("/preferences", summary="Your dashboard preferences")
async def get_preferences(principal: Reader, db: DbSession) -> PreferencesOut:
    prefs = await preferences.get(db, user_id=principal.user_id)
    return PreferencesOut.model_validate(preferences.as_dict(prefs))


@router.put("/preferences", summary="Change your dashboard preferences (fields left out stay)")
async def put_preferences(
    body: PreferencesUpdate, principal: Writer, db: DbSession, meta: RequestMeta
) -> PreferencesOut:
    changes = {
        key: value
        for key, value in body.model_dump(exclude_unset=True).items()
        if value is not None or key == "default_layout_id"
    }
    prefs = await preferences.update(
        db, actor=principal.acting(meta), user_id=principal.user_id, changes=changes
    )
    return PreferencesOut.model_validate(preferences.as_dict(prefs))


# ---------------------------------------------------------------- layouts


@router.get("", summary="Your dashboards")
async def list_layouts(principal: Reader, db: DbSession) -> LayoutList:
    rows = await service.list_layouts(db, user_id=principal.user_id)
    default_id = await preferences.default_layout_id(db, user_id=principal.user_id)
    return LayoutList(items=[LayoutSummary(**summary_fields(r, default_id)) for r in rows])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an empty dashboard")
async def create_layout(
    body: LayoutCreate, principal: Writer, db: DbSession, meta: RequestMeta
) -> LayoutOut:
    layout = await service.create_layout(
        db, actor=principal.acting(meta), user_id=principal.user_id, **body.model_dump()
    )
    return await layout_out(db, layout)


@router.get("/default", summary="Your default dashboard (404 when none is set)")
async def get_default_layout(principal: Reader, db: DbSession) -> LayoutOut:
    default_id = await preferences.default_layout_id(db, user_id=principal.user_id)
    if default_id is None:
        raise NotFound("No default dashboard set")
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=default_id)
    return await layout_out(db, layout)


@router.get("/{layout_id:int}", summary="One of your dashboards with its widgets")
async def get_layout(layout_id: LayoutId, principal: Reader, db: DbSession) -> LayoutOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    return await layout_out(db, layout)


@router.patch("/{layout_id:int}", summary="Rename a dashboard or change its grid")
async def update_layout(
    layout_id: LayoutId, body: LayoutUpdate, principal: Writer, db: DbSession, meta: RequestMeta
) -> LayoutOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    layout = await service.update_layout(
        db, actor=principal.acting(meta), layout=layout, changes=changes
    )
    return await layout_out(db, layout)


@router.delete(
    "/{layout_id:int}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a dashboard"
)
async def delete_layout(
    layout_id: LayoutId, principal: Writer, db: DbSession, meta: RequestMeta
) -> Response:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    await service.delete_layout(db, actor=principal.acting(meta), layout=layout)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{layout_id:int}/duplicate",
    status_code=status.HTTP_201_CREATED,
    summary="Copy a dashboard with all its widgets",
)
async def duplicate_layout(
    layout_id: LayoutId,
    principal: Writer,
    db: DbSession,
    meta: RequestMeta,
    body: DuplicateRequest | None = None,
) -> LayoutOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    copy = await service.duplicate_layout(
        db, actor=principal.acting(meta), layout=layout, name=body.name if body else None
    )
    return await layout_out(db, copy)


@router.post("/{layout_id:int}/default", summary="Make this your default dashboard")
async def set_default(
    layout_id: LayoutId, principal: Writer, db: DbSession, meta: RequestMeta
) -> LayoutOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    await service.set_default(db, actor=principal.acting(meta), layout=layout)
    return await layout_out(db, layout)


@router.put("/{layout_id:int}/layout", summary="Save every widget's position at once")
async def save_layout(
    layout_id: LayoutId, body: LayoutSave, principal: Writer, db: DbSession, meta: RequestMeta
) -> LayoutOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    layout = await service.save_positions(
        db,
        actor=principal.acting(meta),
        layout=layout,
        items=[item.model_dump() for item in body.widgets],
    )
    return await layout_out(db, layout)


# ---------------------------------------------------------------- widgets


@router.post(
    "/{layout_id:int}/widgets",
    status_code=status.HTTP_201_CREATED,
    summary="Add a widget (placed in the first free spot when no position is given)",
)
async def create_widget(
    layout_id: LayoutId, body: WidgetCreate, principal: Writer, db: DbSession, meta: RequestMeta
) -> WidgetOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    widget = await service.create_widget(
        db,
        actor=principal.acting(meta),
        layout=layout,
        type=body.type,
        title=body.title,
        position=body.position.model_dump() if body.position else None,
        config=body.config,
    )
    return widget_out(widget)


@router.patch("/widgets/{widget_id:int}", summary="Change a widget's title, position or config")
async def update_widget(
    widget_id: IdParam, body: WidgetUpdate, principal: Writer, db: DbSession, meta: RequestMeta
) -> WidgetOut:
    widget = await service.get_widget_or_raise(db, user_id=principal.user_id, widget_id=widget_id)
    widget = await service.update_widget(
        db,
        actor=principal.acting(meta),
        widget=widget,
        title=body.title,
        position=body.position.model_dump() if body.position else None,
        config=body.config,
    )
    return widget_out(widget)


@router.delete(
    "/widgets/{widget_id:int}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a widget"
)
async def delete_widget(
    widget_id: IdParam, principal: Writer, db: DbSession, meta: RequestMeta
) -> Response:
    widget = await service.get_widget_or_raise(db, user_id=principal.user_id, widget_id=widget_id)
    await service.delete_widget(db, actor=principal.acting(meta), widget=widget)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- data and actions


@router.get(
    "/widgets/{widget_id:int}/data",
    summary="A widget's current data (an upstream failure is an error state, not an error)",
)
async def widget_data(
    widget_id: IdParam, request: Request, principal: Reader, db: DbSession, runtime: DataRuntime
) -> WidgetData:
    widget = await service.get_widget_or_raise(db, user_id=principal.user_id, widget_id=widget_id)
    found = await data.sources_for(db, [widget])
    return await data.widget_data(
        runtime,
        widget=widget,
        source=found[widget.id],
        viewer_id=principal.user_id,
        now=get_clock(request).now(),
    )


@router.get("/{layout_id:int}/data", summary="The current data of every widget of a dashboard")
async def layout_data(
    layout_id: LayoutId, request: Request, principal: Reader, db: DbSession, runtime: DataRuntime
) -> LayoutData:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    items = await data.many(
        runtime,
        db,
        widgets=layout.widgets,
        viewer_id=principal.user_id,
        now=get_clock(request).now(),
    )
    return LayoutData(layout_id=layout.id, widgets=items)


@router.post(
    "/widgets/{widget_id:int}/actions/{index:int}",
    summary="Run button `index` of a quick_actions widget (server-side actions only)",
)
async def run_action(
    widget_id: IdParam,
    index: Annotated[int, Path(ge=0, le=1000)],
    request: Request,
    principal: Reader,
    db: DbSession,
    broker: AppBroker,
    meta: RequestMeta,
    runtime: DataRuntime,
) -> ActionResult:
    widget = await service.get_widget_or_raise(db, user_id=principal.user_id, widget_id=widget_id)
    name = actions.action_at(widget, index)
    result = await actions.run(
        db,
        principal=principal,
        actor=principal.acting(meta),
        action=name,
        now=get_clock(request).now(),
        broker=broker,
    )
    # The viewer's notification widgets show the change at once, not after the cache expires.
    data.forget_personal(runtime.cache, user_id=principal.user_id)
    return ActionResult(action=name, status="ok", result=result)


# ---------------------------------------------------------------- sharing


@router.post(
    "/{layout_id:int}/share",
    status_code=status.HTTP_201_CREATED,
    summary="Create a read-only link (replaces any previous link of this dashboard)",
)
async def share_layout(
    layout_id: LayoutId, request: Request, principal: Writer, db: DbSession, meta: RequestMeta
) -> ShareOut:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    token = await sharing.share(db, actor=principal.acting(meta), layout=layout)
    # The page a person opens (the web UI's /shared/…), the one link the UI shows too; its
    # data is GET /api/dashboards/shared/{token}.
    url = f"{str(request.base_url).rstrip('/')}/shared/{quote(token, safe='')}"
    assert layout.shared_at is not None
    return ShareOut(token=token, url=url, shared_at=layout.shared_at)


@router.delete(
    "/{layout_id:int}/share",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the dashboard's read-only link",
)
async def unshare_layout(
    layout_id: LayoutId, principal: Writer, db: DbSession, meta: RequestMeta
) -> Response:
    layout = await service.get_or_raise(db, user_id=principal.user_id, layout_id=layout_id)
    await sharing.unshare(db, actor=principal.acting(meta), layout=layout)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/shared/{token}",
    name="shared_dashboard",
    summary="A shared dashboard, read-only, no login: its non-personal widgets and their data",
)
async def shared_dashboard(
    token: Annotated[str, Path(max_length=128)],
    request: Request,
    response: Response,
    db: DbSession,
    runtime: DataRuntime,
) -> SharedLayout:
    layout = await sharing.get_by_token(db, token=token)
    visible = [
        w for w in layout.widgets if (t := WIDGET_TYPES.get(w.type)) is not None and not t.personal
    ]
    items = await data.many(
        runtime, db, widgets=visible, viewer_id=None, now=get_clock(request).now()
    )
    boxes = sharing.visible_boxes(visible)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return SharedLayout(
        name=layout.name,
        description=layout.description,
        grid=Grid(columns=layout.columns, row_height=layout.row_height, gap=layout.gap),
        widgets=[
            SharedWidget(
                **widget_out(w).model_dump(exclude={"layout_id", "position"}),
                position=Position(**dict(zip("xywh", boxes[w.id], strict=True))),
                data=item,
            )
            for w, item in zip(visible, items, strict=True)
        ],
    )
