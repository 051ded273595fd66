"""POST /api/integrations/github/{id}: X-Hub-Signature-256 checked over the raw body; push,
release, workflow_run, issues and pull_request become readable notifications; ping is
answered, other events are 202 and ignored; a repeated X-GitHub-Delivery sends nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import assert_error
from tests.integrations.conftest import Create
from wakedock.integrations.github import item
from wakedock.integrations.signature import sign, verify

SECRET = "gh-secret-0123456789abcdef"
REPO = {"full_name": "acme/api", "html_url": "https://github.com/acme/api"}
SENDER = {"login": "octocat"}


def _post(
    client: httpx.AsyncClient,
    url: str,
    event: str,
    payload: Any,
    *,
    secret: str = SECRET,
    delivery: str | None = None,
    signature: str | bytes | None = None,
) -> Any:
    raw = json.dumps(payload).encode()
    headers: dict[str, str | bytes] = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-Hub-Signature-256": signature if signature is not None else sign(secret, raw),
    }
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    return client.post(url, content=raw, headers=headers)


async def _mine(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/api/notifications", headers=headers)).json()[
        "items"
    ]
    return items


async def test_events_become_notifications(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    made = await create_integration("github", secret=SECRET)
    assert made["secret"] == SECRET
    assert made["token"] is None
    url = made["url"]
    assert url == f"/api/integrations/github/{made['id']}"

    ping = await _post(client, url, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert ping.status_code == 200, ping.text
    assert ping.json()["status"] == "pong"

    push = {
        "ref": "refs/heads/main",
        "compare": "https://github.com/acme/api/compare/abc...def",
        "commits": [
            {"id": "abcdef1234567", "message": "Fix the login\n\nlong text"},
            {"id": "1234567abcdef", "message": "Bump version"},
        ],
        "repository": REPO,
        "sender": SENDER,
    }
    response = await _post(client, url, "push", push, delivery="d-1")
    assert response.status_code == 200, response.text
    assert response.json()["notifications"] == 1
    (n,) = await _mine(client, admin_headers)
    assert n["title"] == "octocat pushed 2 commits to acme/api:main"
    assert n["message"] == "abcdef1 Fix the login\n1234567 Bump version"
    assert n["action_url"] == push["compare"]

    # The same delivery again (a replay): answered, nothing sent.
    again = await _post(client, url, "push", push, delivery="d-1")
    assert again.json()["status"] == "duplicate"
    assert len(await _mine(client, admin_headers)) == 1

    run = {
        "action": "completed",
        "workflow_run": {
            "id": 42,
            "name": "CI",
            "head_branch": "main",
            "conclusion": "failure",
            "html_url": "https://github.com/acme/api/actions/runs/42",
            "display_title": "Fix the login",
        },
        "repository": REPO,
        "sender": SENDER,
    }
    response = await _post(client, url, "workflow_run", run, delivery="d-2")
    assert response.json()["notifications"] == 1
    latest = (await _mine(client, admin_headers))[0]
    assert latest["title"] == "CI failure on acme/api:main"
    assert latest["priority"] == "high"
    assert latest["type"] == "error"

    ignored = await _post(client, url, "star", {"action": "created", "repository": REPO})
    assert ignored.status_code == 202
    assert ignored.json()["status"] == "ignored"
    listed = await client.get(f"/api/integrations/{made['id']}/deliveries", headers=admin_headers)
    assert [d["event"] for d in listed.json()] == ["star", "workflow_run", "push", "ping"]


async def test_signatures_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_integration: Create
) -> None:
    made = await create_integration("github", secret=SECRET)
    url = made["url"]
    body = {"ref": "refs/heads/main", "commits": [], "repository": REPO}
    for bad in (
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        "garbage",
        "sha1=abc",
        "sha256=zz\u00e9".encode("latin-1"),
    ):
        assert_error(await _post(client, url, "push", body, signature=bad), 401, "bad_signature")
    assert_error(await _post(client, url, "push", body, secret="another-secret-123456"), 401)
    # Signed over other bytes than sent (the JSON re-encoded): refused.
    raw = json.dumps(body).encode()
    response = await client.post(
        url,
        content=raw,
        headers={
            "X-GitHub-Event": "push",
            "X-Hub-Signature-256": sign(SECRET, json.dumps(body, indent=1).encode()),
        },
    )
    assert_error(response, 401)
    # Unknown ids, and another kind's id: 404 alike (before any signature is looked at).
    hook = await create_integration("alertmanager")
    for other in (made["id"] + 1000, hook["id"]):
        assert_error(await _post(client, f"/api/integrations/github/{other}", "push", body), 404)
    assert_error(await _post(client, "/api/integrations/github/0", "push", body), 422)
    assert await _mine(client, admin_headers) == []
    listed = await client.get(f"/api/integrations/{made['id']}/deliveries", headers=admin_headers)
    assert listed.json() == []  # unauthenticated requests are never kept


def test_signature_verify() -> None:
    raw = b'{"a": 1}'
    good = sign("k" * 20, raw)
    assert verify("k" * 20, raw, good)
    assert verify("k" * 20, raw, good.removeprefix("sha256="))
    assert verify("k" * 20, raw, good.upper().replace("SHA256=", "sha256="))
    assert not verify("k" * 20, raw + b" ", good)
    assert not verify("k" * 20, raw, None)
    assert not verify("", raw, good)
    assert not verify("k" * 20, raw, good[:-1])


def test_mapping_table() -> None:
    base = {"repository": REPO, "sender": SENDER}
    cases: list[tuple[str, dict[str, Any], str | None]] = [
        (
            "release",
            {"action": "published", "release": {"tag_name": "v1.2", "html_url": "https://x/r"}},
            "Release v1.2 published in acme/api",
        ),
        ("release", {"action": "edited", "release": {"tag_name": "v1"}}, None),
        (
            "issues",
            {"action": "opened", "issue": {"number": 7, "title": "Crash", "body": "trace"}},
            "Issue #7 opened in acme/api: Crash",
        ),
        ("issues", {"action": "labeled", "issue": {"number": 7}}, None),
        (
            "pull_request",
            {"action": "closed", "pull_request": {"number": 9, "title": "Feat", "merged": True}},
            "Pull request #9 merged in acme/api: Feat",
        ),
        ("workflow_run", {"action": "requested", "workflow_run": {"id": 1}}, None),
        (
            "push",
            {"ref": "refs/heads/x", "deleted": True, "commits": []},
            "octocat deleted x in acme/api",
        ),
        ("fork", {}, None),
        ("push", {"commits": "not a list", "ref": 5}, "octocat pushed 0 commits to acme/api:5"),
    ]
    for event, payload, title in cases:
        made = item(event, {**base, **payload}, integration_id=1)
        assert (made.title if made else None) == title, (event, payload)
    bad_url = item(
        "release",
        {**base, "action": "published", "release": {"html_url": "javascript:x"}},
        integration_id=1,
    )
    assert bad_url is not None
    assert bad_url.action_url is None
