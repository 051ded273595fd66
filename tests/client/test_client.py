"""``Client`` and ``AsyncClient`` against a real ``wakedock serve`` on loopback."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import free_port
from tests.realtime.conftest import Api, Server, admin, new_user
from wakedock.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    InvalidRequest,
    NotFoundError,
    Notification,
    PermissionDenied,
    TransportError,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]  # starts `wakedock serve`


def test_send_list_mark_read_delete(server: Server, user: Api) -> None:
    with Client(server.http, user.token) as client:
        sent = client.send("disk almost full", title="disk", priority="high", type="monitoring")
        assert not sent.replayed
        (notification,) = sent.notifications
        assert isinstance(notification, Notification)
        assert (notification.title, notification.priority) == ("disk", "high")
        page = client.list()
        assert [n.id for n in page.items] == [notification.id]
        assert page.unread_count == 1
        assert client.mark_read(notification.id).read
        assert client.list(unread_only=True).items == []
        client.delete(notification.id)
        assert client.list().items == []


def test_an_idempotency_key_sends_once(server: Server, user: Api) -> None:
    with Client(server.http, user.token) as client:
        first = client.send("once", idempotency_key="deploy-42")
        again = client.send("once", idempotency_key="deploy-42")
        assert again.replayed
        assert [n.id for n in again.notifications] == [n.id for n in first.notifications]
        assert len(client.list().items) == 1


def test_send_to_users_by_name_and_id(server: Server) -> None:
    boss, one, two = admin(server.http), new_user(server.http), new_user(server.http)
    with Client(server.http, boss.token) as client:
        sent = client.send("for you two", to=[one.username, two.user_id])
        assert sorted(n.user_id for n in sent.notifications) == sorted([one.user_id, two.user_id])
        with pytest.raises(NotFoundError, match="no user named nobody-here"):
            client.send("x", to="nobody-here")
    with Client(server.http, one.token) as client:
        assert [n.message for n in client.list().items] == ["for you two"]


def test_errors_carry_the_servers_code_and_message(server: Server, user: Api) -> None:
    with Client(server.http, "wdk_wrong") as client, pytest.raises(AuthenticationError) as exc:
        client.list()
    assert exc.value.status == 401
    assert exc.value.code == "invalid_token"
    assert exc.value.message
    with Client(server.http, user.token) as client:
        with pytest.raises(InvalidRequest) as bad:
            client.send("x", title="t" * 300)
        assert bad.value.status == 422
        assert bad.value.code == "validation_error"
        with pytest.raises(PermissionDenied):
            client.send("to everyone", role="user")  # a plain user may not broadcast


def test_another_users_notifications_are_out_of_reach(server: Server) -> None:
    owner, intruder = new_user(server.http), new_user(server.http)
    with Client(server.http, owner.token) as client:
        (mine,) = client.send("private").notifications
    with Client(server.http, intruder.token) as client:
        for attempt in (client.get, client.mark_read, client.mark_unread, client.delete):
            with pytest.raises(NotFoundError):
                attempt(mine.id)
        assert client.list().items == []
    with Client(server.http, owner.token) as client:
        assert not client.get(mine.id).read  # untouched


def test_connection_errors_are_retried_then_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens
    with Client(url, "t", retries=1) as client, pytest.raises(TransportError):
        client.list()


async def test_async_client_and_listen(server: Server, user: Api) -> None:
    async with AsyncClient(server.http, user.token) as client:
        (first,) = (await client.send("before")).notifications
        states: list[str] = []
        stream = client.listen(since=first.id - 1, on_state=states.append)
        got = await asyncio.wait_for(anext(stream), 10)
        assert got.id == first.id  # replayed: it came after ``since``
        (second,) = (await client.send("live")).notifications
        got = await asyncio.wait_for(anext(stream), 10)
        assert (got.id, got.message) == (second.id, "live")
        await stream.aclose()  # type: ignore[attr-defined]
        assert states == ["connected"]


async def test_listen_filters_topics(server: Server) -> None:
    boss, reader = admin(server.http), new_user(server.http)
    assert reader.post("/api/notifications/subscriptions", {"topic": "builds"}).status_code == 201
    async with AsyncClient(server.http, reader.token) as client:
        (mark,) = (await client.send("start")).notifications
        stream = client.listen(since=mark.id, topics=["builds"])
        async with AsyncClient(server.http, boss.token) as sender:
            await sender.send("noise", to=reader.user_id)
            await sender.send("build ok", topic="builds")
        got = await asyncio.wait_for(anext(stream), 10)
        assert (got.message, got.topic) == ("build ok", "builds")
        await stream.aclose()  # type: ignore[attr-defined]


def test_sync_listen_and_wrong_token(server: Server, user: Api) -> None:
    with Client(server.http, user.token) as client:
        (n,) = client.send("hello").notifications
        stream = client.listen(since=n.id - 1)
        assert next(stream).id == n.id
        stream.close()  # type: ignore[attr-defined]
    with Client(server.http, "wdk_wrong") as client, pytest.raises(AuthenticationError):
        next(iter(client.listen()))
