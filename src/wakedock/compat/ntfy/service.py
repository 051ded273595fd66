"""An ntfy publish becomes a WakeDock notification; a notification becomes ntfy's message JSON.

A publish is a create through ``notifications.sending.create`` with the topic as its target:
every subscriber of the WakeDock topic gets their own copy, with their preferences, quiet
hours, e-mail, web push, the UI's toast and the audit, exactly as ``POST /api/notifications``
with ``topic``. What only ntfy knows (its title as sent, priority 1-5, tags, click, icon,
actions, markdown) is kept in the notification's ``data["ntfy"]``, so a subscriber reading
through ntfy gets back what was published; a notification created through WakeDock's own API
on the topic is shown to ntfy clients from its own fields.

Message ids are per recipient (each copy is a row of its own): ``wd<notification id>``. The
publisher's answer carries its own copy's id when it subscribes to the topic, else the first
recipient's. A subscription from an ntfy client subscribes the user to the WakeDock topic
(``ensure_subscribed``), so what is published afterwards reaches them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit.context import AuditActor
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import ANONYMOUS, Principal
from wakedock.bounds import known_within_bounds
from wakedock.broker import Broker
from wakedock.compat.ntfy import emoji, errors, parse
from wakedock.errors import Conflict, WakeDockError
from wakedock.notifications import events, scheduled, sending
from wakedock.notifications.schemas import NotificationCreate, NotificationType, Priority
from wakedock.notifications.subscriptions import service as subscriptions
from wakedock.notifications.subscriptions.schemas import SubscriptionIn
from wakedock.notifications.topics import service as topic_access

SOURCE = "ntfy"
TITLE_MAX = 255
_TYPES = {t.value for t in NotificationType}


@dataclass(slots=True)
class Publish:
    """One message as an ntfy client published it, checked."""

    topic: str
    message: str
    title: str | None = None
    priority: int = 3
    tags: list[str] = field(default_factory=list)
    click: str | None = None
    icon: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    markdown: bool = False
    delay: str | int | None = None  # X-Delay as given: read against the clock at publish


def _unsupported(email: Any, attach: Any, call: Any) -> None:
    if email not in (None, ""):
        raise errors.bad_request(
            40001,
            "e-mail notifications are not enabled (WakeDock e-mails subscribers per their "
            "preferences)",
            "https://ntfy.sh/docs/config/#e-mail-notifications",
        )
    if attach not in (None, ""):
        raise errors.bad_request(
            40014,
            "invalid request: attachments not allowed",
            "https://ntfy.sh/docs/config/#attachments",
        )
    if call not in (None, ""):
        raise errors.bad_request(0, "invalid request: phone calls are not supported")


def _text(body: bytes, limit: int) -> str:
    if len(body) > limit:
        raise errors.too_large(limit)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.bad_request(
            40011, "invalid message: message must be UTF-8 encoded (attachments not supported)"
        ) from None
    if "\x00" in text:
        raise errors.nul_refused()
    return text


def from_request(
    topic: str,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    *,
    limit: int,
) -> Publish:
    """A publish from the body and ntfy's headers / query parameters."""

    read = parse.read_params(headers, query).get
    message = read("message")
    return _build(
        topic,
        read,
        message.encode() if message is not None else body,
        limit=limit,
        content_type=headers.get("content-type", ""),
    )


def from_json(
    body: bytes, headers: Mapping[str, str], query: Mapping[str, str], *, limit: int
) -> Publish:
    """ntfy's JSON publish (``POST /``): what Apprise and other integrations send. Its fields
    win over the same parameters given as headers (Apprise sends some as headers: X-Priority,
    X-Tags, X-Click, X-Markdown...), as in ntfy."""
    if len(body) > limit + 4096:  # the message may use the whole limit, plus the fields
        raise errors.json_too_large()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.json_invalid() from None
    if not isinstance(data, dict) or not isinstance(data.get("topic"), str):
        raise errors.json_invalid()

    given = parse.read_params(headers, query)

    def read(name: str) -> Any:
        value = data.get(name)
        if value is None or value == "":
            return given.get(name)
        if name in ("message", "title", "click", "icon") and not isinstance(value, str):
            raise errors.json_invalid()
        if name == "priority" and not isinstance(value, (int, str)):
            raise errors.priority_invalid()
        if name == "tags" and not isinstance(value, (list, str)):
            raise errors.json_invalid()
        if name == "actions" and not isinstance(value, (list, str)):
            raise errors.actions_invalid("must be a list")
        if name == "markdown" and not isinstance(value, (bool, str)):
            raise errors.json_invalid()
        return value

    message = read("message") or ""
    return _build(data["topic"], read, message.encode(), limit=limit)


def _build(
    topic: str,
    read: Callable[[str], Any],
    body: bytes,
    *,
    limit: int,
    content_type: str = "",
) -> Publish:
    _unsupported(read("email"), read("attach"), read("call"))
    delay = read("delay")
    if delay is not None and not isinstance(delay, (str, int)):
        raise errors.json_invalid()
    text = _text(body, limit)
    media = content_type.split(";", 1)[0].strip().lower()
    return Publish(
        topic=parse.check_topic(topic),
        message=text,
        title=read("title"),
        priority=parse.priority(read("priority")),
        tags=parse.tags(read("tags")),
        click=parse.url(read("click"), "click"),
        icon=parse.url(read("icon"), "icon"),
        actions=parse.actions(read("actions")),
        markdown=parse.boolean(read("markdown")) or media == "text/markdown",
        delay=delay,
    )


def to_create(publish: Publish) -> NotificationCreate:
    """The WakeDock create for a publish: emoji tags before the title, the first tag naming a
    notification type as its type, ntfy's own fields in ``data["ntfy"]``."""
    symbols, plain = emoji.split(publish.tags)
    title = publish.title or publish.topic
    if symbols:
        title = f"{''.join(symbols)} {title}"
    if len(title) > TITLE_MAX:
        raise errors.bad_request(0, f"invalid request: title longer than {TITLE_MAX} characters")
    kind = next((tag.lower() for tag in publish.tags if tag.lower() in _TYPES), "info")
    view = next((a for a in publish.actions if a["action"] == "view"), None)
    action_url = publish.click or (view["url"] if view else None)
    action_label = "Open" if publish.click else (view["label"] if view else None)
    ntfy: dict[str, Any] = {"title": publish.title, "priority": publish.priority}
    for key, value in (
        ("tags", publish.tags),
        ("click", publish.click),
        ("icon", publish.icon),
        ("actions", publish.actions),
    ):
        if value:
            ntfy[key] = value
    if publish.markdown:
        ntfy["markdown"] = True
    del plain  # the tags are kept whole in data; only the emoji change the title
    wrapped = {"ntfy": ntfy}

    def build(**data: Any) -> NotificationCreate:
        return NotificationCreate(
            title=title,
            message=publish.message or "triggered",
            type=NotificationType(kind),
            priority=Priority(parse.TO_WAKEDOCK[publish.priority]),
            **data,
            action_url=action_url,
            action_label=action_label,
            topic=publish.topic,
            source=SOURCE,
        )

    if publish.actions or not known_within_bounds(wrapped, depth=3):
        return build(data=wrapped)
    # Without actions: strings, a list of strings and a 1-5 priority, three levels deep. The
    # model's check of ``data`` would walk them every publish; within the limits (depth and
    # encoded size compared), they are set once the rest is validated.
    create = build()  # no ``data``: its default, not validated
    create.data = wrapped
    return create


async def publish(
    session: AsyncSession,
    *,
    principal: Principal,
    actor: AuditActor,
    publish: Publish,
    now: datetime,
    broker: Broker | None,
    topic_read: sending.TopicRead | None = None,
) -> dict[str, Any]:
    """Create the notifications (one per subscriber), answer ntfy's message JSON. A delayed
    one is stored and sent when due by the delivery worker (``notifications.scheduled``).
    ``topic_read``: the topic's rule and subscribers as read with the credentials."""
    run_at = parse.delay(publish.delay, now=now)
    try:
        body = to_create(publish)
    except ValidationError as exc:
        raise errors.bad_request(0, f"invalid request: {exc.errors()[0]['msg']}") from None
    if run_at is not None:
        if not principal.has(Permission.NOTIFICATIONS_SEND):
            raise errors.forbidden()
        try:
            row = await scheduled.schedule(
                session, principal=principal, actor=actor, body=body, run_at=run_at
            )
        except WakeDockError as exc:
            raise errors.from_wakedock(exc) from None
        answer = to_message(_unsaved(publish, body, run_at))
        answer["id"] = f"scheduled{row.id}"
        return answer
    try:
        created = await sending.create(
            session,
            principal=principal,
            actor=actor,
            body=body,
            now=now,
            broker=broker,
            topic_read=topic_read,
        )
    except WakeDockError as exc:
        raise errors.from_wakedock(exc) from None
    copies = created.notifications
    own = next((n for n in copies if n.user_id == principal.user_id), copies[0] if copies else None)
    if own is not None:
        payload = created.payloads.get(own.id) or events.notification_payload(own)
        return to_message(payload, created_at=own.created_at)
    # Nobody subscribes to the topic: nothing is stored; the answer still has ntfy's shape.
    return to_message(_unsaved(publish, body, now))


def _unsaved(publish: Publish, body: NotificationCreate, at: datetime) -> dict[str, Any]:
    """The live event's shape for a message not stored (yet)."""
    return {
        "id": None,
        "created_at": at.isoformat(),
        "expires_at": None,
        "topic": publish.topic,
        "title": body.title,
        "message": body.message,
        "priority": body.priority,
        "action_url": body.action_url,
        "data": body.data,
    }


def _unix(value: str | None) -> int | None:
    return None if value is None else int(datetime.fromisoformat(value).timestamp())


def to_message(payload: Mapping[str, Any], *, created_at: datetime | None = None) -> dict[str, Any]:
    """ntfy's message JSON for a notification (in the live event's shape); ``created_at``: its
    time as a datetime, when the caller holds it (else read back from the shape's text)."""
    data = payload.get("data")
    ntfy = data.get("ntfy") if isinstance(data, dict) else None
    known = isinstance(ntfy, dict)
    fields: dict[str, Any] = ntfy if isinstance(ntfy, dict) else {}
    notification_id = payload.get("id")
    message: dict[str, Any] = {
        "id": parse.to_message_id(notification_id)
        if isinstance(notification_id, int)
        else secrets.token_hex(6),
        "time": _unix(payload.get("created_at"))
        if created_at is None
        else int(created_at.timestamp()),
    }
    expires = _unix(payload.get("expires_at"))
    if expires is not None:
        message["expires"] = expires
    message["event"] = "message"
    message["topic"] = payload.get("topic")
    message["message"] = payload.get("message") or ""
    title = fields.get("title") if known else payload.get("title")
    if isinstance(title, str) and title:
        message["title"] = title
    priority = fields.get("priority") if known else None
    if not isinstance(priority, int):
        priority = parse.FROM_WAKEDOCK.get(str(payload.get("priority")), 3)
    message["priority"] = priority
    for key in ("tags", "click", "icon", "actions"):
        value = fields.get(key)
        if value:
            message[key] = value
    if not known and payload.get("action_url"):
        message["click"] = payload["action_url"]
    if fields.get("markdown"):
        message["content_type"] = "text/markdown"
    return message


@dataclass(frozen=True, slots=True)
class Filters:
    """ntfy's subscribe filters: every one given must match."""

    ids: frozenset[str] = frozenset()
    message: str | None = None
    title: str | None = None
    priorities: frozenset[int] = frozenset()
    tags: frozenset[str] = frozenset()

    @classmethod
    def read(cls, query: Mapping[str, str], headers: Mapping[str, str]) -> Filters:
        def get(*names: str) -> str | None:
            for name in names:
                value = headers.get(f"x-{name}") or headers.get(name) or query.get(name)
                if value:
                    return value
            return None

        priorities = get("priority", "prio", "p")
        tags = get("tags", "tag", "ta")
        ids = get("id")
        return cls(
            ids=frozenset(i.strip() for i in ids.split(",")) if ids else frozenset(),
            message=get("message", "m"),
            title=get("title", "t"),
            priorities=frozenset(parse.priority(p) for p in priorities.split(","))
            if priorities
            else frozenset(),
            tags=frozenset(parse.tags(tags)) if tags else frozenset(),
        )

    def match(self, message: Mapping[str, Any]) -> bool:
        if self.ids and message["id"] not in self.ids:
            return False
        if self.message is not None and message.get("message") != self.message:
            return False
        if self.title is not None and message.get("title") != self.title:
            return False
        if self.priorities and message.get("priority") not in self.priorities:
            return False
        return not self.tags or self.tags <= set(message.get("tags") or ())


async def ensure_subscribed(
    session: AsyncSession, *, principal: Principal, actor: AuditActor, topics: Sequence[str]
) -> None:
    """Subscribe the user to each topic they do not subscribe to yet (audited, committed),
    once the topics' access rules allow every one of them (else 403, nothing subscribed)."""
    await check_subscribe(session, principal, topics)
    have = {
        row.topic
        for row in await subscriptions.list_for_user(session, user_id=principal.user_id)
        if row.resource_id is None
    }
    for topic in topics:
        if topic in have:
            continue
        try:
            await subscriptions.create(
                session, actor=actor, principal=principal, data=SubscriptionIn(topic=topic)
            )
        except Conflict:  # a concurrent subscribe made it
            await session.rollback()


async def check_subscribe(
    session: AsyncSession, principal: Principal, topics: Sequence[str]
) -> None:
    """403 in ntfy's shape unless the caller may subscribe to every one of ``topics``."""
    try:
        await topic_access.check_subscribe(session, principal, topics)
    except WakeDockError as exc:
        raise errors.from_wakedock(exc) from None


async def check_anonymous(session: AsyncSession, topic: str) -> None:
    """401 in ntfy's shape unless an admin opened ``topic`` to anonymous publishing."""
    try:
        topic_access.check_publish(await topic_access.rule_for(session, topic), ANONYMOUS, topic)
    except WakeDockError as exc:
        raise errors.from_wakedock(exc) from None
