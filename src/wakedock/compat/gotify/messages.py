"""Gotify messages are WakeDock notifications.

Publishing goes through ``notifications.sending.create`` (preferences, quiet hours, e-mail,
web push, the live stream, the audit: everything a create does), as the application's token:
to its owner, or to every subscriber of the application's topic. What only Gotify knows is
kept in the notification's ``data.gotify``: ``appid``, the Gotify ``priority`` (0-10) and
``extras``. ``client::notification.click.url`` becomes the notification's action URL.

Ids: a Gotify message id *is* the WakeDock notification id of the reader's copy (each
recipient has their own notification, so one published message has one id per recipient;
``POST /message`` answers with the publisher's own copy's id, else the first recipient's, else
0 when a topic had no subscriber). A notification made any other way is shown with appid 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit.context import AuditActor
from wakedock.auth.principal import Principal
from wakedock.bounds import known_within_bounds
from wakedock.broker import Broker
from wakedock.compat.gotify import priorities
from wakedock.compat.gotify.applications import Publisher
from wakedock.compat.gotify.schemas import MessageIn, MessageOut, PagedMessages, Paging
from wakedock.errors import ValidationFailed
from wakedock.notifications import changes, sending
from wakedock.notifications import service as notifications
from wakedock.notifications.preferences.service import Recipients
from wakedock.notifications.schemas import NotificationCreate, StoredNotification
from wakedock.notifications.templates.pool import TemplateRenderer

DATA_KEY = "gotify"
CLICK_URL_MAX = 2048


def click_url(extras: dict[str, Any] | None) -> str | None:
    """``extras["client::notification"]["click"]["url"]``, when it is an http(s) URL."""
    if not extras:
        return None
    notification = extras.get("client::notification")
    click = notification.get("click") if isinstance(notification, dict) else None
    url = click.get("url") if isinstance(click, dict) else None
    if not isinstance(url, str) or not url:
        return None
    if len(url) > CLICK_URL_MAX or not url.lower().startswith(("http://", "https://")):
        raise ValidationFailed(
            "client::notification.click.url must be an http(s) URL of at most 2048 characters",
            field="body.extras",
        )
    return url


def to_create(app: Publisher, body: MessageIn) -> NotificationCreate:
    priority = app.default_priority if body.priority is None else body.priority
    data: dict[str, Any] = {"appid": app.id, "priority": priority}
    if body.extras:
        data["extras"] = body.extras
    action_url = click_url(body.extras)
    wrapped = {DATA_KEY: data}

    def build(**data: Any) -> NotificationCreate:
        return NotificationCreate(
            title=body.title or app.name,
            message=body.message,
            priority=priorities.to_wakedock(priority),
            **data,
            action_url=action_url,
            topic=app.topic,
            source=app.name[:128],
        )

    if "extras" in data or not known_within_bounds(wrapped, depth=2):
        return build(data=wrapped)
    # Two integers two levels deep (the usual publish, without extras): the model's check of
    # ``data`` would walk them every publish; within the limits, they are set once validated.
    create = build()  # no ``data``: its default, not validated
    create.data = wrapped
    return create


async def publish(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    app: Publisher,
    body: MessageIn,
    now: datetime,
    broker: Broker | None,
    renderer: TemplateRenderer | None = None,
    owner: Recipients | None = None,
) -> dict[str, Any]:
    """Publish; the answer is ``MessageOut``'s fields as a plain dict, None ones left out (the
    route's response model validates it; the gateway serialises it as is, without building
    and dumping a model on every publish). ``owner``: the publisher as a recipient, read
    with the token (``credentials.application_of``), for a publish to its owner."""
    create = to_create(app, body)
    created = await sending.create(
        session,
        principal=principal,
        actor=actor,
        body=create,
        now=now,
        broker=broker,
        renderer=renderer,
        sender=owner,
    )
    own = [n for n in created.notifications if n.user_id == principal.user_id]
    candidates = own or created.notifications
    first = candidates[0] if candidates else None
    data = create.data[DATA_KEY]
    out: dict[str, Any] = {
        "id": first.id if first is not None else 0,
        "appid": app.id,
        "message": body.message,
        "title": create.title or app.name,
        "priority": data["priority"],
    }
    if data.get("extras") is not None:
        out["extras"] = data["extras"]
    out["date"] = first.created_at if first is not None else now
    return out


def shape(
    *,
    id: int,
    title: str,
    message: str,
    priority: str,
    data: dict[str, Any] | None,
    action_url: str | None,
    created_at: datetime | str,
) -> dict[str, Any]:
    """A notification (its columns, or its event payload's fields) as Gotify's message JSON."""
    gotify = (data or {}).get(DATA_KEY)
    if not isinstance(gotify, dict):
        gotify = {}
    appid = gotify.get("appid")
    level = gotify.get("priority")
    extras = gotify.get("extras")
    out: dict[str, Any] = {
        "id": id,
        "appid": appid if isinstance(appid, int) else 0,
        "message": message,
        "title": title,
        "priority": level if isinstance(level, int) else priorities.to_gotify(priority),
        "date": created_at if isinstance(created_at, str) else created_at.isoformat(),
    }
    if isinstance(extras, dict):
        out["extras"] = extras
    elif action_url:
        out["extras"] = {"client::notification": {"click": {"url": action_url}}}
    return out


def from_notification(row: StoredNotification) -> dict[str, Any]:
    return shape(
        id=row.id,
        title=row.title,
        message=row.message,
        priority=row.priority,
        data=row.data,
        action_url=row.action_url,
        created_at=row.created_at,
    )


def from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """From a ``notification`` event's payload (the REST shape of the notification)."""
    return shape(
        id=payload["id"],
        title=payload.get("title", ""),
        message=payload.get("message", ""),
        priority=payload.get("priority", "normal"),
        data=payload.get("data"),
        action_url=payload.get("action_url"),
        created_at=payload.get("created_at", ""),
    )


def of_app(app_id: int) -> tuple[tuple[str, ...], int]:
    """The notifications filter for one application's messages."""
    return (DATA_KEY, "appid"), app_id


async def page(
    session: AsyncSession,
    *,
    user_id: int,
    now: datetime,
    limit: int,
    since: int,
    url: str,
    app_id: int | None = None,
) -> PagedMessages:
    """Gotify's paging: newest first, ids below ``since`` (0: from the newest); ``next`` is
    the URL of the following page, when there is one. ``app_id``: that application's only."""
    rows, more = await notifications.list_page(
        session,
        user_id=user_id,
        now=now,
        limit=limit,
        before_id=since or None,
        data_int=None if app_id is None else of_app(app_id),
    )
    messages = [MessageOut.model_validate(from_notification(row)) for row in rows]
    next_since = rows[-1].id if more and rows else 0
    return PagedMessages(
        paging=Paging(
            size=len(messages),
            since=next_since,
            limit=limit,
            next=f"{url}?limit={limit}&since={next_since}" if next_since else None,
        ),
        messages=messages,
    )


async def delete_one(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    message_id: int,
    now: datetime,
    broker: Broker | None,
) -> None:
    await changes.delete_own(
        session, actor=actor, user_id=user_id, notification_id=message_id, now=now, broker=broker
    )


async def delete_all(
    session: AsyncSession,
    *,
    actor: AuditActor,
    user_id: int,
    broker: Broker | None,
    app_id: int | None = None,
) -> int:
    """Every message of the user, or of one application (``app_id``)."""
    return await changes.delete_all_own(
        session,
        actor=actor,
        user_id=user_id,
        broker=broker,
        data_int=None if app_id is None else of_app(app_id),
    )
