"""``AsyncClient``: the WakeDock API over httpx, for asyncio code."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from wakedock import __version__
from wakedock.client import _ops
from wakedock.client._listen import listen as _listen
from wakedock.client.errors import NotFoundError, TransportError
from wakedock.client.models import (
    ApiToken,
    ApiTokenCreated,
    Me,
    Notification,
    NotificationPage,
    SendResult,
)

T = TypeVar("T")
UserRef = int | str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [value]
    return list(value)


class AsyncClient:
    """``AsyncClient("https://wakedock.example", token="wdk_…")``; use ``async with`` (or
    ``await client.aclose()``). Reads, and sends (each carries an idempotency key), are retried
    on connection errors and 5xx answers with backoff; other writes are sent once."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = _ops.DEFAULT_TIMEOUT,
        retries: int = _ops.DEFAULT_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.user_agent = f"wakedock-client/{__version__}"
        headers = {"User-Agent": self.user_agent}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, op: _ops.Op[T]) -> T:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    op.method, op.path, params=op.params or None, json=op.json
                )
            except httpx.TransportError as exc:
                if attempt < self.retries and _ops.may_retry_transport(op, exc):
                    await asyncio.sleep(_ops.backoff(attempt))
                    attempt += 1
                    continue
                raise TransportError(f"{op.method} {self.url}{op.path}: {exc!r}") from exc
            if (
                response.status_code in _ops.RETRY_STATUSES
                and op.retry_safe
                and attempt < self.retries
            ):
                await asyncio.sleep(_ops.retry_after(response, attempt))
                attempt += 1
                continue
            return op.parse(response)

    async def _user_ids(self, users: Sequence[UserRef]) -> list[int]:
        """Ids as given; names looked up in the user list (which needs ``users:admin``)."""
        names = {user for user in users if isinstance(user, str) and not user.isdigit()}
        found: dict[str, int] = {}
        cursor: str | None = None
        while names - found.keys():
            page, cursor = await self._run(_ops.list_users(cursor=cursor))
            found.update({u.username: u.id for u in page if u.username in names})
            if cursor is None:
                break
        missing = sorted(names - found.keys())
        if missing:
            raise NotFoundError(404, "not_found", f"no user named {', '.join(missing)}")
        return [found[u] if u in found else int(u) for u in users]

    async def send(
        self,
        message: str | None = None,
        *,
        title: str | None = None,
        type: str | None = None,
        priority: str | None = None,
        url: str | None = None,
        action_label: str | None = None,
        to: UserRef | Sequence[UserRef] | None = None,
        topic: str | None = None,
        role: str | Sequence[str] | None = None,
        template: str | None = None,
        variables: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        group_key: str | None = None,
        ttl_seconds: int | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        """Send a notification: to yourself (no target), users (``to``: ids or usernames),
        a topic's subscribers, or everyone with a role (a broadcast). With no
        ``idempotency_key`` one is generated, so a retried send never creates two."""
        users = await self._user_ids(_as_list(to)) if to is not None else None
        return await self._run(
            _ops.send(
                message,
                title=title,
                type=type,
                priority=priority,
                url=url,
                action_label=action_label,
                to=users,
                topic=topic,
                roles=_as_list(role) or None,
                template=template,
                variables=variables,
                data=data,
                group_key=group_key,
                ttl_seconds=ttl_seconds,
                idempotency_key=idempotency_key,
            )
        )

    async def list(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        unread_only: bool = False,
        type: str | None = None,
        priority: str | None = None,
        q: str | None = None,
    ) -> NotificationPage:
        """One page of your notifications, newest first (``next_cursor`` for the next)."""
        return await self._run(
            _ops.list_notifications(
                limit=limit,
                cursor=cursor,
                unread_only=unread_only,
                type=type,
                priority=priority,
                q=q,
            )
        )

    async def get(self, notification_id: int) -> Notification:
        return await self._run(_ops.get_notification(notification_id))

    async def mark_read(self, notification_id: int) -> Notification:
        return await self._run(_ops.mark_read(notification_id))

    async def mark_unread(self, notification_id: int) -> Notification:
        return await self._run(_ops.mark_unread(notification_id))

    async def mark_all_read(self) -> None:
        await self._run(_ops.mark_all_read())

    async def delete(self, notification_id: int) -> None:
        await self._run(_ops.delete_notification(notification_id))

    async def me(self) -> Me:
        return await self._run(_ops.me())

    async def tokens(self) -> builtins.list[ApiToken]:
        return await self._run(_ops.list_tokens())

    async def create_token(
        self, name: str, scopes: Collection[str] | None = None
    ) -> ApiTokenCreated:
        return await self._run(_ops.create_token(name, scopes))

    async def revoke_token(self, token_id: int) -> None:
        await self._run(_ops.revoke_token(token_id))

    async def login(self, username: str, password: str) -> str:
        """Log in with a password; returns the session's (short-lived) access token."""
        return await self._run(_ops.login(username, password))

    def listen(
        self,
        *,
        since: int | None = None,
        topics: Collection[str] | None = None,
        reconnect: bool = True,
        max_backoff: float = 30.0,
        on_state: Callable[[str], None] | None = None,
    ) -> AsyncIterator[Notification]:
        """New notifications as they come (see ``wakedock.client._listen.listen``)."""
        return _listen(
            self,
            since=since,
            topics=topics,
            reconnect=reconnect,
            max_backoff=max_backoff,
            on_state=on_state,
        )
