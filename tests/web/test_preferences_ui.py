"""The preferences screen against the real server: every field saved, validation, topic
subscriptions and the web push opt-in."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import Pages, Person, screenshot


def field(page: Page, label: str):  # type: ignore[no-untyped-def]
    """The `.field` block holding the control labelled `label` (its error shows there)."""
    return page.locator(".field").filter(has=page.get_by_label(label, exact=True))


def test_email_and_push_say_when_the_server_cannot_deliver_them(
    pages: Pages, person: Person
) -> None:
    """Issue 21: without an e-mail channel or VAPID keys the switch is off and disabled, and
    says what is missing and how to set it up (the shared server may have either by now)."""
    setup = person.api.get("/api/notifications/preferences/delivery-setup").json()
    page = pages.open(person, "/preferences")
    form = page.get_by_role("form", name="Notification preferences")
    for label, state in (("E-mail", setup["email"]), ("Web push", setup["push"])):
        box = form.get_by_label(label, exact=True)
        if state["configured"]:
            expect(box).to_be_enabled()
            expect(box).to_be_checked()
        else:
            expect(box).to_be_disabled()
            expect(box).not_to_be_checked()
            expect(box).to_have_accessible_description(
                re.compile(r"^Not configured\. " + re.escape(state["missing"]))
            )


def test_preferences_are_saved_and_survive_a_reload(pages: Pages, person: Person) -> None:
    page = pages.open(person, "/preferences")
    form = page.get_by_role("form", name="Notification preferences")
    expect(form.get_by_label("Minimum priority")).to_be_visible()
    save = page.get_by_role("button", name="Save preferences")
    expect(save).to_be_disabled()  # nothing to save yet

    form.get_by_label("Live in the browser (WebSocket)").uncheck()
    form.get_by_label("Mark as read once delivered live").check()
    form.get_by_label("monitoring").uncheck()
    form.get_by_label("Minimum priority").select_option("high")
    form.get_by_label("E-mail digest").select_option("daily")
    form.get_by_label("Keep at most (notifications)").fill("500")
    form.get_by_label("Hold notifications during quiet hours").check()
    form.get_by_label("Quiet from").fill("23:15")
    form.get_by_label("Quiet until").fill("06:45")
    form.get_by_label("Time zone").fill("America/New_York")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    screenshot(page, "preferences")
    save.click()
    expect(page.get_by_text("✓ Preferences saved")).to_be_visible()
    expect(page.get_by_text("Unsaved changes")).to_have_count(0)

    stored = person.api.get("/api/notifications/preferences").json()
    assert stored["websocket_enabled"] is False
    assert stored["auto_mark_read"] is True
    assert "monitoring" not in stored["notification_types"]
    assert "info" in stored["notification_types"]
    assert stored["min_priority"] == "high"
    assert stored["email_digest"] == "daily"
    assert stored["max_notifications"] == 500
    assert (stored["quiet_hours_start"], stored["quiet_hours_end"]) == ("23:15", "06:45")
    assert stored["timezone"] == "America/New_York"

    page.reload()
    form = page.get_by_role("form", name="Notification preferences")
    expect(form.get_by_label("Time zone")).to_have_value("America/New_York")
    expect(form.get_by_label("Quiet from")).to_have_value("23:15")
    expect(form.get_by_label("Quiet until")).to_have_value("06:45")
    expect(form.get_by_label("Hold notifications during quiet hours")).to_be_checked()
    expect(form.get_by_label("Live in the browser (WebSocket)")).not_to_be_checked()
    expect(form.get_by_label("Mark as read once delivered live")).to_be_checked()
    expect(form.get_by_label("monitoring")).not_to_be_checked()
    expect(form.get_by_label("Minimum priority")).to_have_value("high")
    expect(form.get_by_label("E-mail digest")).to_have_value("daily")
    expect(form.get_by_label("Keep at most (notifications)")).to_have_value("500")
    expect(page.get_by_text("Urgent notifications always pass.")).to_be_visible()

    # Quiet hours off again: both times go back to null.
    form.get_by_label("Hold notifications during quiet hours").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("✓ Preferences saved")).to_be_visible()
    stored = person.api.get("/api/notifications/preferences").json()
    assert stored["quiet_hours_start"] is None
    assert stored["quiet_hours_end"] is None


def test_an_invalid_value_shows_the_api_message_by_its_field_and_saves_nothing(
    pages: Pages, person: Person
) -> None:
    before = person.api.get("/api/notifications/preferences").json()
    page = pages.open(person, "/preferences")
    form = page.get_by_role("form", name="Notification preferences")
    form.get_by_label("Minimum priority").select_option("urgent")
    form.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save preferences").click()
    zone = field(page, "Time zone")
    expect(zone.get_by_role("alert")).to_contain_text("Unknown time zone")
    expect(form.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    after = person.api.get("/api/notifications/preferences").json()
    assert after["timezone"] == before["timezone"]
    # The message was about the old value: editing the field clears it.
    form.get_by_label("Time zone").fill("Europe/Paris")
    expect(zone.get_by_role("alert")).to_be_hidden()
    expect(form.get_by_label("Time zone")).to_have_attribute("aria-invalid", "false")
    assert after["min_priority"] == before["min_priority"] == "low"

    # A retention cap of 0 is refused with the server's own words, next to that field.
    form.get_by_label("Time zone").fill("Europe/Paris")
    form.get_by_label("Keep at most (notifications)").fill("0")
    page.get_by_role("button", name="Save preferences").click()
    expect(field(page, "Keep at most (notifications)").get_by_role("alert")).to_contain_text(
        "Enter 1 or more"
    )
    expect(zone.get_by_role("alert")).to_have_count(0)
    assert person.api.get("/api/notifications/preferences").json()["max_notifications"] is None


def test_topic_subscriptions_add_edit_and_delete(pages: Pages, person: Person) -> None:
    resource = f"service:{person.username}"
    page = pages.open(person, "/preferences")
    expect(page.get_by_text("No subscriptions yet.")).to_be_visible()
    page.get_by_role("button", name="Add subscription").click()
    dialog = page.get_by_role("dialog", name="Add a subscription")
    dialog.get_by_label("Topic").fill("deployment")
    dialog.get_by_label("Resource (optional)").fill(resource)
    dialog.get_by_label("deployment").check()
    dialog.get_by_label("error").check()
    dialog.get_by_label("Minimum priority").select_option("normal")
    dialog.get_by_role("button", name="Subscribe").click()
    expect(dialog).to_be_hidden()
    table = page.get_by_role("table", name="Topic subscriptions")
    row = table.get_by_role("row").filter(has_text=resource)
    expect(row.get_by_role("cell", name="deployment, error")).to_be_visible()
    expect(row).to_contain_text("normal")
    [stored] = person.api.get("/api/notifications/subscriptions").json()
    assert stored["topic"] == "deployment"
    assert stored["resource_id"] == resource
    assert sorted(stored["notification_types"]) == ["deployment", "error"]

    # A bad topic is refused with the server's message next to the field.
    page.get_by_role("button", name="Add subscription").click()
    dialog.get_by_label("Topic").fill("has spaces!")
    dialog.get_by_role("button", name="Subscribe").click()
    expect(
        dialog.locator(".field").filter(has=page.get_by_label("Topic")).get_by_role("alert")
    ).to_contain_text("not in the expected format")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name=f"Edit subscription deployment {resource}").click()
    edit = page.get_by_role("dialog", name="Edit subscription")
    edit.get_by_label("Minimum priority").select_option("high")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    expect(row).to_contain_text("high")
    assert person.api.get("/api/notifications/subscriptions").json()[0]["priority_threshold"] == (
        "high"
    )

    page.get_by_role("button", name=f"Delete subscription deployment {resource}").click()
    page.get_by_role("dialog", name="Unsubscribe from deployment?").get_by_role(
        "button", name="Unsubscribe"
    ).click()
    expect(page.get_by_text("No subscriptions yet.")).to_be_visible()
    assert person.api.get("/api/notifications/subscriptions").json() == []


CLEAR_STATES = re.compile(r"^(on|off|denied|failed|no-key|unsupported|insecure)$")


def test_web_push_opt_in_shows_a_clear_state(pages: Pages, person: Person) -> None:
    page = pages.open(person, "/preferences")
    state = page.locator("[data-push-state]")
    expect(state).to_have_attribute("data-push-state", CLEAR_STATES)
    status = state.get_by_role("status")
    expect(status).not_to_have_text("")
    expect(status).not_to_have_text("Checking this browser…")
    if state.get_attribute("data-push-state") == "off":
        page.get_by_role("button", name="Enable push on this browser").click()
        expect(state).to_have_attribute(
            "data-push-state", re.compile(r"^(on|denied|failed|no-key)$")
        )
        expect(status).not_to_have_text("")
        if state.get_attribute("data-push-state") == "on":
            # Registered with the server; turning it off removes it again.
            assert person.api.get("/api/notifications/push-subscriptions").json()
            page.get_by_role("button", name="Turn off push on this browser").click()
            expect(state).to_have_attribute("data-push-state", "off")
            assert person.api.get("/api/notifications/push-subscriptions").json() == []
    # The service worker script is served.
    assert "showNotification" in page.request.get("/sw.js").text()
