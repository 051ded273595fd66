"""Text widgets render sanitised HTML; quick actions run real notification actions."""

from __future__ import annotations

import re

import httpx

from tests.conftest import UserFactory, assert_error
from tests.dashboards.conftest import add_widget, create_layout

NASTY = """# Title

Some **bold** text and a [link](https://example.com).

<script>alert("x")</script>
<img src=x onerror=alert(1)>
[click](javascript:alert(1))
![pic](https://example.com/a.png)

| a | b |
|---|---|
| 1 | 2 |
"""


async def test_text_widget_renders_sanitised_html(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client, user.headers, layout["id"], "text", config={"markdown": NASTY}
    )
    body = (
        await client.get(f"/api/dashboards/widgets/{widget['id']}/data", headers=user.headers)
    ).json()
    assert body["status"] == "ok"
    html = body["data"]["html"]
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">link</a>' in html
    assert '<img src="https://example.com/a.png" alt="pic">' in html
    assert "<table>" in html
    assert "<script" not in html
    assert not re.search(r"<[^>]*onerror", html)  # only as escaped text
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    # The stored config keeps the markdown as written.
    got = (await client.get(f"/api/dashboards/{layout['id']}", headers=user.headers)).json()
    assert got["widgets"][0]["config"]["markdown"] == NASTY


async def test_quick_actions_send_a_test_notification_and_mark_all_read(
    client: httpx.AsyncClient, make_user: UserFactory, admin_headers: dict[str, str]
) -> None:
    user = await make_user()
    layout = await create_layout(client, user.headers)
    widget = await add_widget(
        client, user.headers, layout["id"], "quick_actions",
        config={"actions": [
            {"label": "Test", "action": "send_test_notification", "style": "primary"},
            {"label": "Read all", "action": "mark_all_read"},
            {"label": "Docs", "action": "open_url", "url": "https://example.com/docs"},
        ]},
    )  # fmt: skip
    data = (
        await client.get(f"/api/dashboards/widgets/{widget['id']}/data", headers=user.headers)
    ).json()
    assert [(a["action"], a["runs_on"]) for a in data["data"]["actions"]] == [
        ("send_test_notification", "server"),
        ("mark_all_read", "server"),
        ("open_url", "client"),
    ]
    counter = await add_widget(client, user.headers, layout["id"], "unread_counter")
    counter_url = f"/api/dashboards/widgets/{counter['id']}/data"
    assert (await client.get(counter_url, headers=user.headers)).json()["data"]["unread"] == 0
    run = await client.post(
        f"/api/dashboards/widgets/{widget['id']}/actions/0", headers=user.headers
    )
    assert run.status_code == 200, run.text
    assert run.json()["action"] == "send_test_notification"
    [notification_id] = run.json()["result"]["notification_ids"]
    mine = (await client.get("/api/notifications", headers=user.headers)).json()
    assert [n["id"] for n in mine["items"]] == [notification_id]
    assert mine["items"][0]["title"] == "Test notification"
    assert mine["unread_count"] == 1
    # The cached count was dropped: the counter shows the new notification at once.
    assert (await client.get(counter_url, headers=user.headers)).json()["data"]["unread"] == 1

    read = await client.post(
        f"/api/dashboards/widgets/{widget['id']}/actions/1", headers=user.headers
    )
    assert read.json()["result"] == {"count": 1, "unread_count": 0}
    assert (await client.get("/api/notifications", headers=user.headers)).json()[
        "unread_count"
    ] == 0

    assert_error(
        await client.post(
            f"/api/dashboards/widgets/{widget['id']}/actions/2", headers=user.headers
        ),
        422,
    )
    assert_error(
        await client.post(
            f"/api/dashboards/widgets/{widget['id']}/actions/3", headers=user.headers
        ),
        404,
    )
    events = (
        await client.get(
            f"/api/audit?actor_name={user.username}&action=notification.", headers=admin_headers
        )
    ).json()["items"]
    assert {e["action"] for e in events} == {"notification.create", "notification.read_all"}
