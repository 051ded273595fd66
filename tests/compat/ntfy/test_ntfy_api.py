"""The ntfy-compatible API in process, on SQLite and PostgreSQL: every publish form, polls with
``since`` in every form, filters, credentials, isolation and the refusals in ntfy's shape."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import UserFactory, UserHandle


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def poll(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: str
) -> list[dict[str, Any]]:
    response = await client.get(path, params={"poll": "1", **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.text.splitlines() if line]


def assert_ntfy_error(response: httpx.Response, http: int, code: int | None = None) -> None:
    assert response.status_code == http, response.text
    body = response.json()
    assert body["http"] == http, body
    assert "error" in body, body
    if code is not None:
        assert body["code"] == code, body


@pytest.fixture
async def pair(make_user: UserFactory) -> tuple[UserHandle, UserHandle]:
    return await make_user("operator"), await make_user("user")


async def test_header_publish_reaches_subscriber_with_every_field(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle]
) -> None:
    sender, alice = pair
    assert await poll(client, "/backups/json", alice.headers) == []  # subscribes her
    response = await client.post(
        "/backups",
        content=b"done",
        headers={
            **sender.headers,
            "Title": "Backup",
            "Priority": "high",
            "Tags": "warning,nas",
            "X-Click": "https://nas.example/logs",
            "X-Icon": "https://nas.example/icon.png",
            "X-Markdown": "yes",
            "X-Actions": "view, Logs, https://nas.example/l; http, Retry, https://nas.example/r",
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["event"] == "message"
    assert answer["topic"] == "backups"
    assert answer["title"] == "Backup"
    assert answer["priority"] == 4
    (got,) = await poll(client, "/backups/json", alice.headers)
    assert got["message"] == "done"
    assert got["title"] == "Backup"
    assert got["priority"] == 4
    assert got["tags"] == ["warning", "nas"]
    assert got["click"] == "https://nas.example/logs"
    assert got["icon"] == "https://nas.example/icon.png"
    assert got["content_type"] == "text/markdown"
    assert [a["action"] for a in got["actions"]] == ["view", "http"]
    assert isinstance(got["time"], int)
    assert got["id"].startswith("wd")
    # The WakeDock notification: the emoji shown, priority and type mapped, the click.
    mine = (await client.get("/api/notifications", headers=alice.headers)).json()["items"]
    assert mine[0]["title"] == "\u26a0\ufe0f Backup"
    assert (mine[0]["priority"], mine[0]["type"]) == ("high", "warning")
    assert mine[0]["action_url"] == "https://nas.example/logs"
    assert mine[0]["topic"] == "backups"
    assert mine[0]["source"] == "ntfy"


@pytest.mark.parametrize(
    ("method", "path", "params", "headers"),
    [
        ("PUT", "/t1", {}, {"X-Title": "T", "X-Priority": "5", "X-Tags": "tada"}),
        ("POST", "/t1", {"t": "T", "p": "urgent", "ta": "tada"}, {}),
        ("POST", "/t1", {"title": "T", "priority": "max", "tags": "tada"}, {}),
        ("GET", "/t1/publish", {"message": "hi", "title": "T", "p": "5", "ta": "tada"}, {}),
        ("GET", "/t1/send", {"m": "hi", "t": "T", "prio": "5", "tag": "tada"}, {}),
        ("POST", "/t1/trigger", {"t": "T"}, {"Priority": "5", "Tags": "tada"}),
    ],
)
async def test_every_header_and_query_form(
    client: httpx.AsyncClient,
    pair: tuple[UserHandle, UserHandle],
    method: str,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    sender, alice = pair
    await poll(client, "/t1/json", alice.headers)
    response = await client.request(
        method, path, params=params, content=b"hi", headers={**sender.headers, **headers}
    )
    assert response.status_code == 200, response.text
    (got,) = await poll(client, "/t1/json", alice.headers)
    assert (got["message"], got["title"], got["priority"], got["tags"]) == ("hi", "T", 5, ["tada"])


async def test_json_publish_as_apprise_sends_it(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle]
) -> None:
    sender, alice = pair
    await poll(client, "/media/json", alice.headers)
    body = {
        "topic": "media",
        "message": "Episode grabbed",
        "title": "Sonarr",
        "tags": ["tv"],
        "priority": 2,
        "click": "https://sonarr.example",
        "actions": [{"action": "view", "label": "Open", "url": "https://sonarr.example"}],
        "markdown": True,
    }
    response = await client.post("/", json=body, headers=sender.headers)
    assert response.status_code == 200, response.text
    (got,) = await poll(client, "/media/json", alice.headers)
    assert (got["title"], got["priority"], got["tags"]) == ("Sonarr", 2, ["tv"])
    assert got["content_type"] == "text/markdown"


async def test_credentials_forms_and_refusals(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    op = await make_user("operator")
    token = (
        await client.post("/api/auth/api-tokens", json={"name": "ntfy"}, headers=op.headers)
    ).json()["token"]
    forms = [
        {"Authorization": f"Bearer {token}"},
        basic(op.username, op.password),
        basic("", token),
    ]
    for headers in forms:
        response = await client.post("/creds", content=b"x", headers=headers)
        assert response.status_code == 200, (headers, response.text)
    header = f"Bearer {token}"
    encoded = base64.urlsafe_b64encode(header.encode()).decode().rstrip("=")
    response = await client.post(f"/creds?auth={encoded}", content=b"x")
    assert response.status_code == 200, response.text
    # Anonymous, a wrong password, a wrong token, garbage: 401 in ntfy's shape.
    for headers in (
        {},
        basic(op.username, "wrong"),
        {"Authorization": "Bearer wdk_wrong"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Digest x"},
    ):
        assert_ntfy_error(await client.post("/creds", content=b"x", headers=headers), 401, 40101)
    assert_ntfy_error(await client.get("/creds/json?poll=1"), 401, 40101)
    assert_ntfy_error(await client.post("/creds?auth=%%%", content=b"x"), 401, 40101)


async def test_basic_auth_failures_are_throttled_like_logins(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    op = await make_user("operator")
    for _ in range(5):
        response = await client.post("/t", content=b"x", headers=basic(op.username, "nope"))
        assert response.status_code == 401
    response = await client.post("/t", content=b"x", headers=basic(op.username, op.password))
    assert_ntfy_error(response, 429, 42901)
    # The login form counts the same failures.
    login = await client.post(
        "/api/auth/login", json={"username": op.username, "password": op.password}
    )
    assert login.status_code == 429


async def test_user_without_send_permission_is_403(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle]
) -> None:
    _, alice = pair
    assert_ntfy_error(await client.post("/t", content=b"x", headers=alice.headers), 403, 40301)


async def test_private_messages_stay_private(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """A copy is its recipient's: another user polling the same topic, or naming the id with
    ``since``/``id``, sees only their own copies."""
    sender, alice, bob = await make_user("operator"), await make_user(), await make_user()
    await poll(client, "/private/json", alice.headers)
    await client.post("/private", content=b"for alice", headers=sender.headers)
    (alices,) = await poll(client, "/private/json", alice.headers)
    assert await poll(client, "/private/json", bob.headers) == []
    assert await poll(client, "/private/json", bob.headers, id=alices["id"]) == []
    before = "wd" + str(int(alices["id"][2:]) - 1)
    assert await poll(client, "/private/json", bob.headers, since=before) == []


async def test_since_every_form_and_filters(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle]
) -> None:
    sender, alice = pair
    await poll(client, "/a/json", alice.headers)
    await poll(client, "/b/json", alice.headers)
    started = int(time.time())
    for topic, text, prio, tags in (
        ("a", "one", "1", "x"),
        ("b", "two", "4", "x,y"),
        ("a", "three", "5", "y"),
    ):
        response = await client.post(
            f"/{topic}", content=text.encode(), headers={**sender.headers, "P": prio, "Ta": tags}
        )
        assert response.status_code == 200, response.text
    both = await poll(client, "/a,b/json", alice.headers)
    assert [m["message"] for m in both] == ["one", "two", "three"]
    first = both[0]["id"]
    assert [m["message"] for m in await poll(client, "/a,b/json", alice.headers, since=first)] == [
        "two",
        "three",
    ]
    for value in ("all", "10m", "1h", str(started - 5)):
        assert len(await poll(client, "/a,b/json", alice.headers, since=value)) == 3, value
    assert await poll(client, "/a,b/json", alice.headers, since=str(started + 3600)) == []
    latest = await poll(client, "/a,b/json", alice.headers, since="latest")
    assert [m["message"] for m in latest] == ["three"]
    assert [m["message"] for m in await poll(client, "/a/json", alice.headers)] == ["one", "three"]
    high = await poll(client, "/a,b/json", alice.headers, priority="high,urgent")
    assert [m["message"] for m in high] == ["two", "three"]
    assert [m["message"] for m in await poll(client, "/a,b/json", alice.headers, tags="x,y")] == [
        "two"
    ]
    assert [
        m["message"] for m in await poll(client, "/a,b/json", alice.headers, message="one")
    ] == ["one"]
    bad = await client.get("/a/json?poll=1&since=yesterday", headers=alice.headers)
    assert_ntfy_error(bad, 400, 40008)


async def test_native_notification_on_topic_is_seen_by_ntfy_clients(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle]
) -> None:
    sender, alice = pair
    await poll(client, "/deploys/json", alice.headers)
    response = await client.post(
        "/api/notifications",
        json={"title": "Deployed", "message": "v2", "topic": "deploys", "priority": "urgent",
              "action_url": "https://ci.example/1"},
        headers=sender.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    (got,) = await poll(client, "/deploys/json", alice.headers)
    assert (got["title"], got["message"], got["priority"]) == ("Deployed", "v2", 5)
    assert got["click"] == "https://ci.example/1"


async def test_refusals_in_ntfy_shape_store_nothing(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle], settings: Any
) -> None:
    sender, alice = pair
    await poll(client, "/r/json", alice.headers)
    h = sender.headers
    cases: list[tuple[httpx.Response, int, int | None]] = [
        (await client.post("/r", content=b"x" * 4097, headers=h), 413, 41301),
        (await client.post("/r", content=b"x" * (2 * 1024 * 1024), headers=h), 413, 41303),
        (await client.post("/r", content=b"a\x00b", headers=h), 400, 40011),
        (await client.post("/r?t=a%00b", content=b"x", headers=h), 400, 40011),
        (await client.post("/r", content=b"\xff\xfe", headers=h), 400, 40011),
        (await client.post("/r", content=b"x", headers={**h, "Priority": "6"}), 400, 40007),
        (await client.post("/r", content=b"x", headers={**h, "Priority": "0"}), 400, 40007),
        (await client.post("/r", content=b"x", headers={**h, "X-Delay": "soon"}), 400, 40004),
        (await client.post("/r", content=b"x", headers={**h, "X-Delay": "5s"}), 400, 40005),
        (await client.post("/r", content=b"x", headers={**h, "X-In": "4d"}), 400, 40006),
        (await client.post("/r", content=b"x", headers={**h, "X-Email": "a@b.c"}), 400, 40001),
        (await client.post("/r", content=b"x", headers={**h, "X-Attach": "https://a/b"}), 400,
         40014),
        (await client.post("/r", content=b"x", headers={**h, "X-Actions": "nope"}), 400, 40018),
        (await client.post("/r", content=b"x", headers={**h, "X-Click": "not a url"}), 400, None),
        (await client.post("/r", content=b"x", headers={**h, "Title": "t" * 300}), 400, None),
        (await client.post("/", content=b"{not json", headers=h), 400, 40017),
        (await client.post("/", json={"topic": "api", "message": "x"}, headers=h), 400, 40010),
        (await client.post("/", json={"topic": "a/b", "message": "x"}, headers=h), 400, 40009),
        (await client.post("/", json={"topic": "r", "priority": 9}, headers=h), 400, 40007),
        (await client.post("/", json=[1], headers=h), 400, 40017),
    ]  # fmt: skip
    for response, http, code in cases:
        assert_ntfy_error(response, http, code)
    assert await poll(client, "/r/json", alice.headers) == []


async def test_reserved_and_invalid_names_never_reach_ntfy(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """WakeDock's own paths keep their own answers; a GET of a topic is the UI."""
    assert (await client.get("/api/health")).status_code == 200
    assert (await client.post("/api", content=b"x", headers=admin_headers)).status_code in (
        404,
        405,
    )
    metrics = await client.post("/metrics", content=b"x", headers=admin_headers)
    assert metrics.status_code in (404, 405)
    assert "error" in metrics.json()
    ui = await client.get("/backups")
    assert ui.status_code == 200
    assert "text/html" in ui.headers["content-type"]
    assert (await client.post("/a.b", content=b"x", headers=admin_headers)).status_code in (
        404,
        405,
    )


async def test_topic_auth_check(
    client: httpx.AsyncClient, pair: tuple[UserHandle, UserHandle]
) -> None:
    _, alice = pair
    assert (await client.get("/t/auth", headers=alice.headers)).json() == {"success": True}
    assert_ntfy_error(await client.get("/t/auth"), 401, 40101)


async def test_delayed_publish_is_stored_and_sent_when_due(
    client: httpx.AsyncClient, app: Any, make_user: UserFactory
) -> None:
    """X-Delay (and JSON ``delay``): stored, nothing sent before it is due; the worker's
    release sends it then; a revoked token's scheduled message is refused, not sent."""
    from datetime import timedelta

    from wakedock.notifications import scheduled

    sender, alice = await make_user("operator"), await make_user()
    await poll(client, "/later/json", alice.headers)
    token = (
        await client.post("/api/auth/api-tokens", json={"name": "cron"}, headers=sender.headers)
    ).json()
    first = await client.post(
        "/later", content=b"in ten", headers={**sender.headers, "X-Delay": "10s", "Title": "T"}
    )
    assert first.status_code == 200, first.text
    assert first.json()["id"].startswith("scheduled")
    assert first.json()["time"] >= int(time.time()) + 9
    second = await client.post(
        "/",
        json={"topic": "later", "message": "in thirty", "delay": "30m"},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert second.status_code == 200, second.text
    now = app.state.clock.now()
    assert await scheduled.release_due(app.state.sessionmaker, now=now, broker=None) == 0
    assert await poll(client, "/later/json", alice.headers) == []
    released = await scheduled.release_due(
        app.state.sessionmaker, now=now + timedelta(seconds=11), broker=app.state.broker
    )
    assert released == 1
    (got,) = await poll(client, "/later/json", alice.headers)
    assert (got["message"], got["title"]) == ("in ten", "T")
    # Sent once: a second release finds nothing.
    later = now + timedelta(seconds=12)
    assert await scheduled.release_due(app.state.sessionmaker, now=later, broker=None) == 0
    revoked = await client.delete(f"/api/auth/api-tokens/{token['id']}", headers=sender.headers)
    assert revoked.status_code == 204, revoked.text
    end = now + timedelta(minutes=31)
    assert await scheduled.release_due(app.state.sessionmaker, now=end, broker=None) == 1
    assert [m["message"] for m in await poll(client, "/later/json", alice.headers)] == ["in ten"]
    # A user without notifications:send cannot schedule either.
    refused = await client.post("/later", content=b"x", headers={**alice.headers, "In": "1h"})
    assert_ntfy_error(refused, 403, 40301)
