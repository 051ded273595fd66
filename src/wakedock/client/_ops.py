"""The API calls as data, shared by ``Client`` and ``AsyncClient``: each builds a request and
says how to read its answer and whether retrying it is safe. No I/O here."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from wakedock.client.errors import error_for
from wakedock.client.models import (
    ApiToken,
    ApiTokenCreated,
    BroadcastAccepted,
    Me,
    Notification,
    NotificationPage,
    SendResult,
    User,
)

T = TypeVar("T")

# Answers worth trying again (when retrying is safe): the server failed or was restarting.
RETRY_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Op(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    # Safe to send again after a lost answer or a 5xx: reads, and writes with an idempotency key.
    retry_safe: bool = False


def new_idempotency_key() -> str:
    return f"wdc-{uuid.uuid4()}"


def backoff(attempt: int, *, base: float = 0.25, cap: float = 8.0) -> float:
    """Exponential backoff with jitter: 0.25 s, 0.5 s, 1 s… up to ``cap``."""
    return float(min(cap, base * 2**attempt) * random.uniform(0.5, 1.0))


def retry_after(response: httpx.Response, attempt: int) -> float:
    value = response.headers.get("retry-after", "")
    if value.isdigit():
        return min(float(value), 30.0)
    return backoff(attempt)


def may_retry_transport(op: Op[Any], exc: httpx.TransportError) -> bool:
    """A connection that never opened sent nothing: always safe. Otherwise only a safe op."""
    return op.retry_safe or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def checked(response: httpx.Response) -> httpx.Response:
    if response.is_success:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    raise error_for(response.status_code, body, response.text)


def _none(response: httpx.Response) -> None:
    checked(response)


def _notification(response: httpx.Response) -> Notification:
    return Notification.model_validate(checked(response).json())


def _send_result(response: httpx.Response) -> SendResult:
    body = checked(response).json()
    replayed = response.status_code == 200
    if isinstance(body, dict) and "broadcast_id" in body:
        return SendResult(broadcast=BroadcastAccepted.model_validate(body), replayed=replayed)
    items = body["items"] if isinstance(body, dict) and "items" in body else [body]
    return SendResult(
        notifications=[Notification.model_validate(item) for item in items], replayed=replayed
    )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def send(
    message: str | None = None,
    *,
    title: str | None = None,
    type: str | None = None,
    priority: str | None = None,
    url: str | None = None,
    action_label: str | None = None,
    to: Sequence[int] | None = None,
    topic: str | None = None,
    roles: Sequence[str] | None = None,
    template: str | None = None,
    variables: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    group_key: str | None = None,
    ttl_seconds: int | None = None,
    idempotency_key: str | None = None,
) -> Op[SendResult]:
    targets = sum(1 for target in (to, topic, roles) if target)
    if targets > 1:
        raise ValueError("send to users, a topic or roles: one of them")
    if title is None and template is None and message:
        # The API wants a title unless a template gives one: the message's first line.
        title = message.strip().splitlines()[0][:255] if message.strip() else None
    content = _drop_none(
        {
            "message": message,
            "title": title,
            "type": type,
            "priority": priority,
            "action_url": url,
            "action_label": action_label,
            "template": template,
            "variables": variables or None,
            "data": data or None,
            "ttl_seconds": ttl_seconds,
        }
    )
    if roles:
        # A broadcast: the server has no idempotency key for it, so it is never retried.
        if group_key is not None or idempotency_key is not None:
            raise ValueError("a send to roles takes no group_key or idempotency_key")
        body = {**content, "target": {"roles": list(roles)}}
        return Op("POST", "/api/notifications/broadcast", _send_result, json=body)
    key = idempotency_key or new_idempotency_key()
    body = {**content, "group_key": group_key, "idempotency_key": key}
    if to and len(to) == 1:
        body["user_id"] = to[0]
    elif to:
        body["user_ids"] = list(to)
    if topic:
        body["topic"] = topic
    return Op("POST", "/api/notifications", _send_result, json=_drop_none(body), retry_safe=True)


def list_notifications(
    *,
    limit: int = 50,
    cursor: str | None = None,
    unread_only: bool = False,
    type: str | None = None,
    priority: str | None = None,
    q: str | None = None,
) -> Op[NotificationPage]:
    params = _drop_none(
        {
            "limit": limit,
            "cursor": cursor,
            "unread_only": "true" if unread_only else None,
            "type": type,
            "priority": priority,
            "q": q,
        }
    )
    return Op(
        "GET",
        "/api/notifications",
        lambda r: NotificationPage.model_validate(checked(r).json()),
        params=params,
        retry_safe=True,
    )


def get_notification(notification_id: int) -> Op[Notification]:
    return Op("GET", f"/api/notifications/{int(notification_id)}", _notification, retry_safe=True)


def mark_read(notification_id: int) -> Op[Notification]:
    # Marking read twice is marking read once: safe to retry.
    return Op(
        "POST", f"/api/notifications/{int(notification_id)}/read", _notification, retry_safe=True
    )


def mark_unread(notification_id: int) -> Op[Notification]:
    return Op(
        "POST",
        f"/api/notifications/{int(notification_id)}/unread",
        _notification,
        retry_safe=True,
    )


def mark_all_read() -> Op[None]:
    return Op("POST", "/api/notifications/read-all", _none, retry_safe=True)


def delete_notification(notification_id: int) -> Op[None]:
    # Not retried: a delete whose answer was lost would come back as a confusing 404.
    return Op("DELETE", f"/api/notifications/{int(notification_id)}", _none)


def me() -> Op[Me]:
    return Op(
        "GET", "/api/auth/me", lambda r: Me.model_validate(checked(r).json()), retry_safe=True
    )


def login(username: str, password: str) -> Op[str]:
    """A login session's access token (for creating an API token, then logging out)."""
    return Op(
        "POST",
        "/api/auth/login",
        lambda r: str(checked(r).json()["access_token"]),
        json={"username": username, "password": password},
    )


def logout() -> Op[None]:
    return Op("POST", "/api/auth/logout", _none)


def list_tokens() -> Op[list[ApiToken]]:
    return Op(
        "GET",
        "/api/auth/api-tokens",
        lambda r: [ApiToken.model_validate(item) for item in checked(r).json()],
        retry_safe=True,
    )


def create_token(name: str, scopes: Iterable[str] | None = None) -> Op[ApiTokenCreated]:
    body: dict[str, Any] = {"name": name}
    if scopes is not None:
        body["scopes"] = list(scopes)
    return Op(
        "POST",
        "/api/auth/api-tokens",
        lambda r: ApiTokenCreated.model_validate(checked(r).json()),
        json=body,
    )


def revoke_token(token_id: int) -> Op[None]:
    return Op("DELETE", f"/api/auth/api-tokens/{int(token_id)}", _none)


def list_users(*, cursor: str | None = None) -> Op[tuple[list[User], str | None]]:
    def parse(response: httpx.Response) -> tuple[list[User], str | None]:
        body = checked(response).json()
        return [User.model_validate(item) for item in body["items"]], body["next_cursor"]

    return Op(
        "GET",
        "/api/users",
        parse,
        params=_drop_none({"limit": 200, "cursor": cursor}),
        retry_safe=True,
    )
