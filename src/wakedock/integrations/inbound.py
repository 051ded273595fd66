"""The receiving routes: Alertmanager, Grafana, GitHub and generic hooks post here.

Every route authenticates before it reads the body as JSON: Alertmanager and Grafana with
their integration's bearer token (``Authorization: Bearer wdi_…``, as Alertmanager's
``http_config.authorization`` sends it), GitHub and hooks with an HMAC-SHA256 of the raw body
(``signature.py``). An unknown id is 404, a missing or wrong credential 401, a token of
another kind 403; then the body must be JSON within the request limits (the request guard's
size and NUL checks, ``WAKEDOCK_DATA_MAX_DEPTH`` for nesting), else 422. Only authenticated
requests are kept in the recent deliveries (``deliveries.py``).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError

from wakedock.auth.bearer import BearerScheme
from wakedock.auth.dependencies import RequestMeta
from wakedock.bounds import IdParam, json_depth_error
from wakedock.dependencies import AppBroker, AppSettings, DbSession
from wakedock.errors import ERROR_RESPONSES, ServiceUnavailable, Unauthorized, ValidationFailed
from wakedock.integrations import alertmanager, deliveries, dispatch, github, hooks, service
from wakedock.integrations.dispatch import Inbound
from wakedock.integrations.items import Item
from wakedock.integrations.models import Integration
from wakedock.integrations.schemas import Accepted, Kind
from wakedock.integrations.signature import verify
from wakedock.notifications.dependencies import AppClock
from wakedock.notifications.templates.dependencies import RENDERERS_BUSY, Renderer
from wakedock.vault.sealing import SecretUnreadable

logger = logging.getLogger(__name__)

router = APIRouter(tags=["integrations"], responses={**ERROR_RESPONSES})
_bearer = BearerScheme(description="An integration token (wdi_…)")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def parse_json(body: bytes, *, max_depth: int, form: bool = False) -> Any:
    """The body as JSON (GitHub's form encoding: its ``payload`` field), within the depth
    limit; 422 otherwise (orjson refuses nesting beyond 1024 levels before Python sees it)."""
    if form:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
        body = (fields.get("payload") or [""])[0].encode()
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValidationFailed("The body is not valid JSON", field="body") from None
    error = json_depth_error(value, max_depth)
    if error is not None:
        raise ValidationFailed(f"The body is {error}", field="body")
    return value


async def _receive(
    db: DbSession,
    *,
    row: Integration,
    inbound: Inbound,
    meta: RequestMeta,
    now: Any,
    broker: AppBroker,
    make: Any,
) -> list[Item]:
    """``make()``'s items; a 422 it raises is kept on the delivery list, then answered."""
    try:
        return list(await make())
    except ValidationFailed as exc:
        await dispatch.record(
            db,
            integration=row,
            inbound=inbound,
            meta=meta,
            now=now,
            status="failed",
            status_code=422,
            error=exc.message,
        )
        raise


async def _alerts(
    kind: Kind,
    request: Request,
    credentials: Bearer,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> Accepted:
    row = await service.by_token(
        db, token=credentials.credentials if credentials else None, kind=kind
    )
    body = await request.body()
    inbound = Inbound(body=body, event=kind.value)
    now = clock.now()

    async def make() -> list[Item]:
        value = parse_json(body, max_depth=settings.data_max_depth)
        try:
            payload = alertmanager.Payload.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(
                f"Not a {kind.value} webhook payload: {where}: {first['msg']}", field="body"
            ) from None
        return alertmanager.items(payload, source=kind.value, integration_id=row.id)

    items = await _receive(
        db, row=row, inbound=inbound, meta=meta, now=now, broker=broker, make=make
    )
    count = await dispatch.deliver(
        db, integration=row, items=items, inbound=inbound, meta=meta, now=now, broker=broker
    )
    return Accepted(status="delivered", notifications=count)


@router.post("/api/integrations/alertmanager", summary="Receive Alertmanager's webhook (v4)")
async def receive_alertmanager(
    request: Request,
    credentials: Bearer,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> Accepted:
    return await _alerts(Kind.ALERTMANAGER, request, credentials, db, settings, clock, broker, meta)


@router.post("/api/integrations/grafana", summary="Receive a Grafana webhook contact point")
async def receive_grafana(
    request: Request,
    credentials: Bearer,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
) -> Accepted:
    return await _alerts(Kind.GRAFANA, request, credentials, db, settings, clock, broker, meta)


def _secret(settings: AppSettings, row: Integration) -> str:
    try:
        return service.secret_of(settings.keyring, row)
    except SecretUnreadable:
        logger.error("integration %d: its stored secret cannot be decrypted", row.id)
        raise ServiceUnavailable(
            "This integration's secret cannot be decrypted; enter it again",
            code="secret_unreadable",
        ) from None


@router.post(
    "/api/integrations/github/{integration_id:int}",
    summary="Receive a GitHub webhook (X-Hub-Signature-256)",
    responses={202: {"description": "An event WakeDock does not notify about: ignored"}},
)
async def receive_github(
    integration_id: IdParam,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
    x_github_event: Annotated[str | None, Header()] = None,
    x_github_delivery: Annotated[str | None, Header()] = None,
) -> Accepted:
    row = await service.signed(db, integration_id=integration_id, kinds={Kind.GITHUB})
    body = await request.body()
    if not verify(_secret(settings, row), body, x_hub_signature_256):
        raise Unauthorized("Missing or wrong X-Hub-Signature-256", code="bad_signature")
    event = (x_github_event or "").strip()[:64]
    inbound = Inbound(body=body, event=event or None, delivery_id=x_github_delivery)
    now = clock.now()
    if x_github_delivery and await deliveries.seen(
        db, integration_id=row.id, delivery_id=x_github_delivery
    ):
        return Accepted(status="duplicate", message="This delivery was received already")
    form = request.headers.get("content-type", "").startswith("application/x-www-form")

    async def make() -> list[Item]:
        value = parse_json(body, max_depth=settings.data_max_depth, form=form)
        if not isinstance(value, dict):
            raise ValidationFailed("The body is not a JSON object", field="body")
        made = github.item(event, value, integration_id=row.id)
        return [made] if made is not None else []

    items = await _receive(
        db, row=row, inbound=inbound, meta=meta, now=now, broker=broker, make=make
    )
    if not items:
        await dispatch.record(
            db,
            integration=row,
            inbound=inbound,
            meta=meta,
            now=now,
            status="ignored",
            status_code=200 if event == "ping" else 202,
        )
        if event == "ping":
            return Accepted(status="pong", message="WakeDock is listening")
        response.status_code = status.HTTP_202_ACCEPTED
        return Accepted(status="ignored", message=f"Event {event!r} sends no notification")
    count = await dispatch.deliver(
        db, integration=row, items=items, inbound=inbound, meta=meta, now=now, broker=broker
    )
    return Accepted(status="delivered", notifications=count)


@router.post(
    "/api/hooks/{hook_id:int}",
    summary="Receive a generic signed webhook (the hook's templates make the notification)",
    responses={**RENDERERS_BUSY},
)
async def receive_hook(
    hook_id: IdParam,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    clock: AppClock,
    broker: AppBroker,
    meta: RequestMeta,
    renderer: Renderer,
) -> Accepted:
    row = await service.signed(db, integration_id=hook_id, kinds={Kind.HOOK})
    body = await request.body()
    header = str(row.config.get("signature_header") or service.DEFAULT_SIGNATURE_HEADER)
    if not verify(_secret(settings, row), body, request.headers.get(header)):
        raise Unauthorized(f"Missing or wrong {header}", code="bad_signature")
    inbound = Inbound(body=body, event="hook")
    now = clock.now()
    templates = dict(row.config.get("templates") or {})
    row_id = row.id

    async def make() -> list[Item]:
        value = parse_json(body, max_depth=settings.data_max_depth)
        return [await hooks.render(renderer, templates, value, integration_id=row_id)]

    items = await _receive(
        db, row=row, inbound=inbound, meta=meta, now=now, broker=broker, make=make
    )
    count = await dispatch.deliver(
        db, integration=row, items=items, inbound=inbound, meta=meta, now=now, broker=broker
    )
    return Accepted(status="delivered", notifications=count)
