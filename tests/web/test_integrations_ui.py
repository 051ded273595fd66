"""The Integrations console against the real server: an admin creates an Alertmanager
integration, copies the token shown once, Alertmanager's webhook (version 4) posted with it
becomes a notification the admin sees live, the delivery is listed with its payload, and the
integration is deleted through the app's confirm dialog."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integrations.conftest import alert, alertmanager_payload
from tests.realtime.conftest import Server
from tests.web.conftest import Person, login, screenshot
from tests.web.test_responsive import VIEWPORTS, check, new_context


@pytest.fixture
def page(browser: Browser, ui_server: Server, admin_person: Person) -> Iterator[Page]:
    """The admin's page in a profile that lets axe-core in (the sweep's `new_context`)."""
    context = new_context(browser, ui_server, VIEWPORTS["desktop"])
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        opened = context.new_page()
        login(opened, admin_person)
        yield opened
    finally:
        context.close()


def looked_at(page: Page, name: str) -> None:
    """The sweep's checks (fits, axe) and a screenshot at the desktop and phone sizes."""
    for size, viewport in (("phone", VIEWPORTS["phone"]), ("desktop", VIEWPORTS["desktop"])):
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        check(page, f"{name} at {size}")
        screenshot(page, name if size == "desktop" else f"{name}-phone")


def test_admin_sets_up_alertmanager_and_sees_its_delivery(page: Page, admin_person: Person) -> None:
    name = f"am-{uuid.uuid4().hex[:8]}"
    summary = f"Disk full {uuid.uuid4().hex[:8]}"
    admin_id = admin_person.api.get("/api/auth/me").json()["id"]
    page.goto("/admin/integrations")
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()

    page.get_by_role("button", name="Add integration").click()
    dialog = page.get_by_role("dialog", name="Add an integration")
    dialog.get_by_label("Kind").select_option("alertmanager")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Send to").select_option("user_ids")
    dialog.get_by_label("User ids").fill("not-a-number")
    dialog.get_by_role("button", name="Create integration").click()
    expect(dialog.get_by_role("alert")).to_be_visible()  # the server's message, readable
    dialog.get_by_label("User ids").fill(str(admin_id))
    dialog.get_by_role("button", name="Create integration").click()
    expect(dialog).to_be_hidden()

    created = page.get_by_role("status", name="New integration")
    expect(created).to_contain_text("shown only once")
    origin = admin_person.api.base
    expect(created).to_contain_text(f"{origin}/api/integrations/alertmanager")
    snippet = created.get_by_label("Configuration snippet")
    expect(snippet).to_contain_text("webhook_configs:")
    created.get_by_role("button", name="Copy token").click()
    expect(created.get_by_role("button", name="Copied")).to_be_visible()
    token = page.evaluate("() => navigator.clipboard.readText()")
    assert token.startswith("wdi_")
    assert created.get_by_label("The new token").input_value() == token
    expect(snippet).to_contain_text(f"credentials: {token}")
    looked_at(page, "admin-integrations")

    sent = httpx.post(
        f"{origin}/api/integrations/alertmanager",
        json=alertmanager_payload(alert(summary=summary, fingerprint=uuid.uuid4().hex[:16])),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert sent.status_code < 300, sent.text
    toasts = page.get_by_role("region", name="New notifications").get_by_role("article")
    expect(toasts.filter(has_text=summary)).to_be_visible()

    created.get_by_role("button", name="Done").click()
    expect(created).to_be_hidden()  # shown once: gone for good
    row = page.get_by_role("table", name="Integrations").get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("enabled")
    row.get_by_role("button", name=f"Deliveries of {name}").click()
    deliveries = page.get_by_role("region", name=f"Deliveries of {name}")
    item = deliveries.get_by_role("listitem").first
    expect(item).to_contain_text("1 notification")
    item.locator("summary").click()
    expect(item.get_by_label("Payload")).to_contain_text(summary)
    looked_at(page, "admin-integrations-deliveries")

    row.get_by_role("button", name=f"Disable {name}").click()
    expect(row).to_contain_text("disabled")
    row.get_by_role("button", name=f"Delete {name}").click()
    confirm = page.get_by_role("dialog", name=f"Delete the integration {name}?")
    confirm.get_by_role("button", name="Delete integration").click()
    expect(row).to_have_count(0)
    refused = httpx.post(
        f"{origin}/api/integrations/alertmanager",
        json=alertmanager_payload(alert()),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401
