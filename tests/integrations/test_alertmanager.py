"""POST /api/integrations/alertmanager and /api/integrations/grafana: one notification per
alert, resolved replaces firing, severity → priority; the integration token and its kind."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.conftest import UserFactory, assert_error, bearer
from tests.integrations.conftest import Create, alert, alertmanager_payload

# Grafana alerting's webhook contact point body, in the shape its documentation gives
# (grafana.com/docs/grafana/latest/alerting/.../integrations/webhook-notifier/): the
# Alertmanager fields plus orgId, values, valueString and the dashboard, panel and silence URLs.
GRAFANA_PAYLOAD: dict[str, Any] = {
    "receiver": "wakedock",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://runbooks.example/memory",
                "summary": "Memory high in zone us-1",
            },
            "startsAt": "2026-12-05T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://grafana.example/alerting/silence/new?matchers=zone%3Dus-1",
            "dashboardURL": "",
            "panelURL": "https://grafana.example/d/abc?viewPanel=2",
            "values": {"B": 44.23943737541908, "C": 1},
            "valueString": "[ var='B' labels={} value=44.2 ]",
        }
    ],
    "groupLabels": {"alertname": "High memory usage"},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://grafana.example/",
    "version": "1",
    "groupKey": '{}:{alertname="High memory usage"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1] High memory usage (blue)",
    "state": "alerting",
    "message": "**Firing**\n\nValue: B=44.2",
}


async def _mine(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/notifications", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_firing_then_resolved_replaces(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    made = await create_integration("alertmanager")
    assert made["token"].startswith("wdi_")
    assert made["secret"] is None
    assert made["url"] == "/api/integrations/alertmanager"
    url, auth = made["url"], bearer(made["token"])

    response = await client.post(url, json=alertmanager_payload(alert()), headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "delivered", "notifications": 1, "message": None}
    (firing,) = await _mine(client, admin_headers)
    assert firing["title"] == "Disk almost full"
    assert firing["message"] == "/var is 97% full"
    assert firing["type"] == "monitoring"
    assert firing["priority"] == "urgent"
    assert firing["action_url"] == "http://prometheus.example:9090/graph?g0.expr=up"
    assert firing["source"] == "alertmanager-test"
    assert firing["data"]["status"] == "firing"

    response = await client.post(url, json=alertmanager_payload(alert("resolved")), headers=auth)
    assert response.status_code == 200, response.text
    (resolved,) = await _mine(client, admin_headers)
    assert resolved["id"] != firing["id"]
    assert resolved["title"] == "Resolved: Disk almost full"
    assert resolved["priority"] == "normal"
    assert resolved["group_key"] == firing["group_key"]

    # Each alert its own notification; severities map to priorities.
    payload = alertmanager_payload(
        alert(fingerprint="f1", severity="warning"), alert(fingerprint="f2", severity="info")
    )
    response = await client.post(url, json=payload, headers=auth)
    assert response.json()["notifications"] == 2
    priorities = sorted(n["priority"] for n in await _mine(client, admin_headers))
    assert priorities == ["high", "normal", "normal"]


async def test_targets_topic_and_users(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    create_integration: Create,
    make_user: UserFactory,
) -> None:
    alice, bob = await make_user(), await make_user()
    sub = await client.post(
        "/api/notifications/subscriptions", json={"topic": "ops.alerts"}, headers=alice.headers
    )
    assert sub.status_code == 201, sub.text
    topic = await create_integration("alertmanager", "am-topic", target={"topic": "ops.alerts"})
    users = await create_integration("alertmanager", "am-users", target={"user_ids": [bob.id]})
    for made in (topic, users):
        response = await client.post(
            made["url"], json=alertmanager_payload(alert()), headers=bearer(made["token"])
        )
        assert response.json()["notifications"] == 1
    # A topic nobody subscribes to: accepted, nothing sent, the delivery kept.
    empty = await create_integration("alertmanager", "am-empty", target={"topic": "nobody"})
    response = await client.post(
        empty["url"], json=alertmanager_payload(alert()), headers=bearer(empty["token"])
    )
    assert response.json() == {"status": "delivered", "notifications": 0, "message": None}
    (a,) = await _mine(client, alice.headers)
    assert a["topic"] == "ops.alerts"
    (b,) = await _mine(client, bob.headers)
    assert b["title"] == "Disk almost full"
    assert await _mine(client, admin_headers) == []


async def test_grafana_payload(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    made = await create_integration("grafana")
    assert made["url"] == "/api/integrations/grafana"
    response = await client.post(made["url"], json=GRAFANA_PAYLOAD, headers=bearer(made["token"]))
    assert response.status_code == 200, response.text
    (n,) = await _mine(client, admin_headers)
    assert n["title"] == "Memory high in zone us-1"
    assert n["message"] == "The system has high memory usage"
    assert n["action_url"] == "https://grafana.example/d/abc?viewPanel=2"
    assert n["priority"] == "normal"
    assert n["type"] == "monitoring"
    resolved = copy.deepcopy(GRAFANA_PAYLOAD)
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    response = await client.post(made["url"], json=resolved, headers=bearer(made["token"]))
    (n2,) = await _mine(client, admin_headers)
    assert n2["title"].startswith("Resolved: ")


async def test_tokens_refused(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    create_integration: Create,
    make_user: UserFactory,
) -> None:
    body = alertmanager_payload(alert())
    url = "/api/integrations/alertmanager"
    assert_error(await client.post(url, json=body), 401)
    assert_error(await client.post(url, json=body, headers=bearer("wdi_nope")), 401)
    # A user's own credentials (access token, API token) are not integration tokens.
    assert_error(await client.post(url, json=body, headers=admin_headers), 401)
    api = await client.post("/api/auth/api-tokens", json={"name": "t"}, headers=admin_headers)
    assert api.status_code == 201, api.text
    assert_error(await client.post(url, json=body, headers=bearer(api.json()["token"])), 401)
    # Another kind's token: 403.
    grafana = await create_integration("grafana")
    assert_error(
        await client.post(url, json=body, headers=bearer(grafana["token"])),
        403,
        "wrong_integration",
    )
    # A disabled integration's token: 401.
    made = await create_integration("alertmanager")
    off = await client.patch(
        f"/api/integrations/{made['id']}", json={"is_active": False}, headers=admin_headers
    )
    assert off.status_code == 200, off.text
    assert_error(await client.post(url, json=body, headers=bearer(made["token"])), 401)
    assert await _mine(client, admin_headers) == []


async def test_bad_payloads_are_422_and_kept(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    made = await create_integration("alertmanager")
    auth = {**bearer(made["token"]), "Content-Type": "application/json"}
    url = made["url"]
    deep: Any = {}
    for _ in range(5000):
        deep = {"a": deep}
    bodies = [
        b"not json",
        b"[1, 2",
        b'{"alerts": "no"}',
        b'{"alerts": [{"labels": {"a": 1}}]}',
        ('{"alerts": [' + ",".join(['{"status": "firing"}'] * 1001) + "]}").encode(),
        b'{"x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"x": ' + b"[" * 40 + b"]" * 40 + b"}",
    ]
    for raw in bodies:
        assert_error(await client.post(url, content=raw, headers=auth), 422)
    assert_error(await client.post(url, content=b"\x00" * 10, headers=auth), 422)
    assert_error(await client.post(url, content=b"{}" + b" " * (2 << 20), headers=auth), 413)
    assert await _mine(client, admin_headers) == []
    listed = await client.get(f"/api/integrations/{made['id']}/deliveries", headers=admin_headers)
    rows = listed.json()
    assert len(rows) == 7
    assert {r["status"] for r in rows} == {"failed"}
    assert rows[-1]["payload"] == "not json"
    assert "not valid JSON" in rows[-1]["error"]


async def test_a_recipient_deleted_between_read_and_write(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    create_integration: Create,
    make_user: UserFactory,
    monkeypatch: Any,
) -> None:
    """A recipient deleted after the reads fails the write on its foreign key: the delivery
    reads the recipients again and goes to those left (no 500)."""
    from wakedock.integrations import dispatch

    alice, bob = await make_user(), await make_user()
    made = await create_integration(
        "alertmanager", "am-two", target={"user_ids": [alice.id, bob.id]}
    )
    real_send, real_store = dispatch._send, dispatch._store
    reads = 0

    async def send(session: Any, *args: Any) -> Any:
        nonlocal reads
        reads += 1
        return await real_send(session, *args)

    async def store(session: Any, *args: Any) -> Any:
        if reads == 1:  # the first attempt: bob goes between the reads and the write
            deleted = await client.delete(f"/api/users/{bob.id}", headers=admin_headers)
            assert deleted.status_code == 204, deleted.text
        return await real_store(session, *args)

    monkeypatch.setattr(dispatch, "_send", send)
    monkeypatch.setattr(dispatch, "_store", store)
    response = await client.post(
        made["url"], json=alertmanager_payload(alert()), headers=bearer(made["token"])
    )
    assert response.status_code == 200, response.text
    assert response.json()["notifications"] == 1
    assert reads == 2  # read again after the failed write
    (n,) = await _mine(client, alice.headers)
    assert n["title"] == "Disk almost full"
