"""The admin consoles against the real server: users, broadcast (recipient count and delivery),
templates (live preview, syntax errors), channels (Send test), deliveries, audit log, and the
permission guard for a plain user."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.realtime.conftest import Server, login, new_user
from tests.web.conftest import Pages, Person, screenshot


def field(page: Page, scope: Any, label: str) -> Any:
    return scope.locator(".field").filter(has=page.get_by_label(label, exact=True))


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll the API (the worker is asynchronous) until `check` returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_admin_creates_a_user_with_a_role(pages: Pages, admin_person: Person) -> None:
    name = f"ui{uuid.uuid4().hex[:10]}"
    page = pages.open(admin_person, "/admin/users")
    expect(page.get_by_role("table", name="Users")).to_be_visible()
    page.get_by_role("button", name="Create user").click()
    dialog = page.get_by_role("dialog", name="Create a user")
    dialog.get_by_label("Username").fill(name)
    dialog.get_by_label("E-mail").fill(f"{name}@example.com")
    dialog.get_by_label("Password").fill("short")
    dialog.get_by_label("operator").check()
    dialog.get_by_label("user", exact=True).uncheck()
    dialog.get_by_role("button", name="Create user").click()
    expect(field(page, dialog, "Password").get_by_role("alert")).to_contain_text("at least")
    dialog.get_by_label("Password").fill(f"{name}-long-password")
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("searchbox", name="Search users").fill(name)
    row = page.get_by_role("table", name="Users").get_by_role("row").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("operator")
    screenshot(page, "admin-users")
    created = login(admin_person.api.base, name, f"{name}-long-password")
    me = created.get("/api/auth/me").json()
    assert me["roles"] == ["operator"]

    # Disable, then enable again.
    page.get_by_role("button", name=f"Disable {name}").click()
    expect(row).to_contain_text("disabled")
    assert httpx.post(
        f"{admin_person.api.base}/api/auth/login",
        json={"username": name, "password": f"{name}-long-password"},
    ).is_error
    page.get_by_role("button", name=f"Enable {name}").click()
    expect(row).to_contain_text("active")


def test_broadcast_counts_a_role_audience_and_reaches_it(
    pages: Pages, admin_person: Person, ui_server: Server
) -> None:
    operator = new_user(ui_server.http, role="operator")
    users = admin_person.api.get("/api/users?limit=500").json()["items"]
    expected = sum(1 for u in users if u["is_active"] and "operator" in u["roles"])
    assert expected >= 1
    title = f"Maintenance {uuid.uuid4().hex[:8]}"

    page = pages.open(admin_person, "/admin/broadcast")
    form = page.get_by_role("form", name="Compose a broadcast")
    count = form.get_by_role("status", name="Recipient count")
    expect(count).to_contain_text("Choose at least one role")
    form.get_by_role("group", name="Roles").get_by_label("operator").check()
    expect(count.get_by_test_id("recipient-count")).to_have_text(str(expected))
    form.get_by_role("radio", name="Everyone").check()
    expect(count.get_by_test_id("recipient-count")).to_have_text(
        str(sum(1 for u in users if u["is_active"]))
    )
    form.get_by_role("radio", name="Roles").check()
    expect(count.get_by_test_id("recipient-count")).to_have_text(str(expected))

    form.get_by_label("Title").fill(title)
    form.get_by_label("Message").fill("Back in 30 minutes")
    form.get_by_label("Priority").select_option("high")
    form.get_by_role("button", name="Send broadcast").click()
    # The app's own dialog (not the browser's confirm()) names the audience, properly counted.
    confirm = page.get_by_role("dialog", name="Send this broadcast?")
    counted = f"{expected} recipient{'' if expected == 1 else 's'}"
    expect(confirm).to_contain_text(f"goes to {counted} now")
    confirm.get_by_role("button", name="Send broadcast").click()
    expect(confirm).to_be_hidden()
    expect(form.get_by_text(f"accepted for {counted}")).to_be_visible()
    history = page.get_by_role("table", name="Past broadcasts")
    expect(history.get_by_role("row").filter(has_text=title)).to_contain_text("roles: operator")
    expect(history.get_by_role("row").filter(has_text=title)).to_contain_text(
        f"{expected} / {expected}"
    )
    screenshot(page, "admin-broadcast")

    def received() -> list[dict[str, Any]]:
        items = operator.get("/api/notifications").json()["items"]
        return [n for n in items if n["title"] == title]

    [notification] = eventually(received)
    assert notification["priority"] == "high"
    assert notification["message"] == "Back in 30 minutes"


def test_template_preview_updates_live_and_shows_syntax_errors(
    pages: Pages, admin_person: Person
) -> None:
    name = f"deploy-{uuid.uuid4().hex[:8]}"
    page = pages.open(admin_person, "/admin/templates")
    page.get_by_role("button", name="New template").click()
    editor = page.get_by_role("form", name="Template editor")
    editor.get_by_label("Name").fill(name)
    editor.get_by_label("Title template").fill("Deploy {{ service }} {{ version }}")
    editor.get_by_label("Message template").fill("{{ service }} is live")
    editor.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name=f"Editing {name}")).to_be_visible()

    variables = page.get_by_label("Sample variables (JSON)")
    preview = page.get_by_role("region", name="Live preview")
    variables.fill('{"service": "web", "version": "1.4"}')
    expect(preview.get_by_test_id("preview-title")).to_have_text("Deploy web 1.4")
    variables.fill('{"service": "api", "version": "2.0"}')
    expect(preview.get_by_test_id("preview-title")).to_have_text("Deploy api 2.0")
    variables.fill('{"service": "api"}')
    expect(preview.get_by_test_id("preview-error")).to_contain_text("missing variable")
    variables.fill('{"service": "api", "version": "2.1"}')
    expect(preview.get_by_test_id("preview-title")).to_have_text("Deploy api 2.1")
    screenshot(page, "admin-templates")

    # A syntax error is the server's message next to the part that has it; nothing is saved.
    editor = page.get_by_role("form", name="Template editor")
    editor.get_by_label("Message template").fill("{% if service %}unclosed")
    expect(editor.get_by_text("Unsaved changes")).to_be_visible()
    # The live preview renders the unsaved draft, so it shows the syntax error at once.
    expect(preview.get_by_test_id("preview-error")).to_contain_text("message_template")
    editor.get_by_role("button", name="Save template").click()
    expect(field(page, editor, "Message template").get_by_role("alert")).to_contain_text(
        "syntax error"
    )
    expect(field(page, editor, "Title template").get_by_role("alert")).to_have_count(0)
    stored = admin_person.api.get(f"/api/notifications/templates/{name}").json()
    assert stored["message_template"] == "{{ service }} is live"

    editor.get_by_label("Message template").fill("{{ service }} {{ version }} is live")
    # Previewed before it is saved...
    expect(preview.get_by_test_id("preview")).to_contain_text("api 2.1 is live")
    assert (
        admin_person.api.get(f"/api/notifications/templates/{name}").json()["message_template"]
        == "{{ service }} is live"
    )
    editor.get_by_role("button", name="Save template").click()
    expect(editor.get_by_text("Unsaved changes")).to_have_count(0)
    stored = admin_person.api.get(f"/api/notifications/templates/{name}").json()
    assert stored["message_template"] == "{{ service }} {{ version }} is live"


class _Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append({"path": self.path, "body": self.rfile.read(length)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    served = _Receiver()
    try:
        yield served
    finally:
        served.close()


def test_webhook_channel_send_test_and_dead_letter_retry(
    pages: Pages, admin_person: Person, receiver: _Receiver
) -> None:
    name = f"hook-{uuid.uuid4().hex[:8]}"
    page = pages.open(admin_person, "/admin/channels")
    page.get_by_role("button", name="Add channel").click()
    dialog = page.get_by_role("dialog", name="Add a channel")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Kind").select_option("webhook")
    dialog.get_by_label("URL").fill("not a url")
    dialog.get_by_label("Signing secret (HMAC-SHA256)").fill("s3cret-value")
    dialog.get_by_role("button", name="Create channel").click()
    expect(field(page, dialog, "URL").get_by_role("alert")).to_be_visible()
    dialog.get_by_label("URL").fill(receiver.url)
    dialog.get_by_role("button", name="Create channel").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("table", name="Channels").get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("secret: set")
    expect(page.get_by_text("s3cret-value")).to_have_count(0)

    row.get_by_role("button", name=f"Send test with {name}").click()
    result = page.get_by_test_id(f"test-result-{name}")
    # The test server refuses private targets (WAKEDOCK_ALLOW_PRIVATE_TARGETS is off): the
    # server's clear reason is shown, and nothing reached the loopback receiver.
    expect(result).to_contain_text("Test failed")
    expect(result).to_contain_text("non-public address")
    assert receiver.requests == []
    screenshot(page, "admin-channels")

    # A notification naming the channel ends as a dead letter; the deliveries console shows it
    # and retries it.
    created = admin_person.api.notify(f"to {name}", channels=[name])
    notification_id = created["id"]

    def dead() -> list[dict[str, Any]]:
        page_ = admin_person.api.get("/api/notifications/deliveries?status=dead&limit=200").json()
        return [d for d in page_["items"] if d["notification_id"] == notification_id]

    [letter] = eventually(dead)
    page.goto("/admin/deliveries")
    table = page.get_by_role("table", name="Deliveries")
    drow = table.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(letter["id"]), exact=True)
    )
    expect(drow).to_contain_text("non-public address")
    expect(drow).to_contain_text("dead")
    drow.get_by_role("button", name=f"Attempts of delivery {letter['id']}").click()
    expect(page.get_by_role("list", name=f"Attempts of delivery {letter['id']}")).to_contain_text(
        "failed"
    )
    drow.get_by_role("button", name=f"#{notification_id} timeline").click()
    expect(
        page.get_by_role("heading", name=f"Delivery timeline of notification #{notification_id}")
    ).to_be_visible()
    screenshot(page, "admin-deliveries")
    drow.get_by_role("button", name=f"Retry delivery {letter['id']}").click()

    def retried() -> bool:
        items = admin_person.api.get("/api/notifications/deliveries?limit=200").json()["items"]
        return any(d["id"] == letter["id"] and d["attempts"] >= 2 for d in items)

    assert eventually(retried)


def test_audit_log_filters_narrow_the_results(
    pages: Pages, admin_person: Person, person: Person
) -> None:
    person.api.post("/api/notifications/subscriptions", {"topic": "backup"})
    person.api.patch("/api/notifications/preferences", {"min_priority": "high"})
    page = pages.open(admin_person, "/admin/audit")
    events = page.get_by_role("table", name="Audit events")
    expect(events.get_by_role("row").nth(5)).to_be_visible()  # unfiltered: many events
    filters = page.get_by_role("form", name="Audit filters")
    filters.get_by_label("Actor").fill(person.username)
    filters.get_by_role("button", name="Apply filters").click()
    body_rows = events.locator("tbody > tr")
    theirs = admin_person.api.get(f"/api/audit?actor_name={person.username}").json()["items"]
    assert 2 <= len(theirs) < 50
    expect(body_rows).to_have_count(len(theirs))
    for event in theirs:
        expect(events).to_contain_text(event["action"])
    expect(events).to_contain_text("subscription.create")
    expect(events).to_contain_text("preferences.update")
    filters.get_by_label("Action").fill("subscription.")
    filters.get_by_role("button", name="Apply filters").click()
    expect(body_rows).to_have_count(1)
    body_rows.first.get_by_role("button", name="Details").click()
    expect(events.locator(".details-json")).to_contain_text("backup")
    screenshot(page, "admin-audit")
    filters.get_by_label("From").fill("2999-01-01T00:00")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No event matches these filters.")).to_be_visible()


def test_a_plain_user_sees_no_admin_links_and_is_told_what_they_lack(
    pages: Pages, person: Person
) -> None:
    page = pages.open(person)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Preferences")).to_be_visible()
    expect(nav.get_by_text("Admin")).to_have_count(0)
    for path, permission in [
        ("/admin/users", "users:admin"),
        ("/admin/broadcast", "notifications:broadcast"),
        ("/admin/templates", "notifications:admin"),
        ("/admin/channels", "notifications:admin"),
        ("/admin/deliveries", "notifications:admin"),
        ("/admin/audit", "audit:read"),
    ]:
        page.goto(path)
        expect(page.get_by_role("alert")).to_contain_text(f"You need the permission {permission}")
