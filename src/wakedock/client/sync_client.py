"""``Client``: the same API as ``AsyncClient``, blocking (scripts, the CLI)."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from wakedock import __version__
from wakedock.client import _ops
from wakedock.client.async_client import AsyncClient, UserRef, _as_list
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


class Client:
    """``Client("https://wakedock.example", token="wdk_…")``; use ``with`` (or ``close()``).
    Retries as ``AsyncClient`` does."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = _ops.DEFAULT_TIMEOUT,
        retries: int = _ops.DEFAULT_RETRIES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.user_agent = f"wakedock-client/{__version__}"
        headers = {"User-Agent": self.user_agent}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, op: _ops.Op[T]) -> T:
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    op.method, op.path, params=op.params or None, json=op.json
                )
            except httpx.TransportError as exc:
                if attempt < self.retries and _ops.may_retry_transport(op, exc):
                    time.sleep(_ops.backoff(attempt))
                    attempt += 1
                    continue
                raise TransportError(f"{op.method} {self.url}{op.path}: {exc!r}") from exc
            if (
                response.status_code in _ops.RETRY_STATUSES
                and op.retry_safe
                and attempt < self.retries
            ):
                time.sleep(_ops.retry_after(response, attempt))
                attempt += 1
                continue
            return op.parse(response)

    def _user_ids(self, users: Sequence[UserRef]) -> list[int]:
        names = {user for user in users if isinstance(user, str) and not user.isdigit()}
        found: dict[str, int] = {}
        cursor: str | None = None
        while names - found.keys():
            page, cursor = self._run(_ops.list_users(cursor=cursor))
            found.update({u.username: u.id for u in page if u.username in names})
            if cursor is None:
                break
        missing = sorted(names - found.keys())
        if missing:
            raise NotFoundError(404, "not_found", f"no user named {', '.join(missing)}")
        return [found[u] if u in found else int(u) for u in users]

    def send(
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
        """See ``AsyncClient.send``."""
        users = self._user_ids(_as_list(to)) if to is not None else None
        return self._run(
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

    def list(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        unread_only: bool = False,
        type: str | None = None,
        priority: str | None = None,
        q: str | None = None,
    ) -> NotificationPage:
        return self._run(
            _ops.list_notifications(
                limit=limit,
                cursor=cursor,
                unread_only=unread_only,
                type=type,
                priority=priority,
                q=q,
            )
        )

    def get(self, notification_id: int) -> Notification:
        return self._run(_ops.get_notification(notification_id))

    def mark_read(self, notification_id: int) -> Notification:
        return self._run(_ops.mark_read(notification_id))

    def mark_unread(self, notification_id: int) -> Notification:
        return self._run(_ops.mark_unread(notification_id))

    def mark_all_read(self) -> None:
        self._run(_ops.mark_all_read())

    def delete(self, notification_id: int) -> None:
        self._run(_ops.delete_notification(notification_id))

    def me(self) -> Me:
        return self._run(_ops.me())

    def tokens(self) -> builtins.list[ApiToken]:
        return self._run(_ops.list_tokens())

    def create_token(self, name: str, scopes: Collection[str] | None = None) -> ApiTokenCreated:
        return self._run(_ops.create_token(name, scopes))

    def revoke_token(self, token_id: int) -> None:
        self._run(_ops.revoke_token(token_id))

    def login(self, username: str, password: str) -> str:
        return self._run(_ops.login(username, password))

    def logout(self) -> None:
        self._run(_ops.logout())

    def listen(
        self,
        *,
        since: int | None = None,
        topics: Collection[str] | None = None,
        reconnect: bool = True,
        max_backoff: float = 30.0,
        on_state: Callable[[str], None] | None = None,
    ) -> Iterator[Notification]:
        """See ``AsyncClient.listen``: runs it on a private event loop. While your code handles
        a notification nothing is read; a socket silent too long is dropped by the server and
        resumed here without a loss."""
        loop = asyncio.new_event_loop()
        client = AsyncClient(self.url, self.token, timeout=self.timeout, retries=self.retries)
        stream = client.listen(
            since=since,
            topics=topics,
            reconnect=reconnect,
            max_backoff=max_backoff,
            on_state=on_state,
        )
        try:
            while True:
                try:
                    yield loop.run_until_complete(anext(stream))
                except StopAsyncIteration:
                    return
        finally:
            loop.run_until_complete(stream.aclose())  # type: ignore[attr-defined]
            loop.run_until_complete(client.aclose())
            loop.close()
