"""The Topics admin page against the real server: an admin creates a topic's access rule in
the app's dialog, sees it listed, edits it and removes it; the API holds what the page shows."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.web.conftest import Pages, Person, screenshot


def test_admin_creates_edits_and_removes_a_topic_rule(pages: Pages, admin_person: Person) -> None:
    topic = f"ui-{uuid.uuid4().hex[:8]}"
    page = pages.open(admin_person, "/admin/topics")
    expect(page.get_by_role("heading", name="Topics")).to_be_visible()
    page.get_by_role("button", name="Add rule").click()
    dialog = page.get_by_role("dialog", name="Add a topic rule")
    dialog.get_by_label("Topic", exact=True).fill("bad topic!")
    dialog.get_by_role("button", name="Save rule").click()
    expect(dialog.get_by_text("Letters, digits")).to_be_visible()  # refused before sending
    dialog.get_by_label("Topic", exact=True).fill(topic)
    dialog.get_by_role("group", name="Who may publish").get_by_label("operator").check()
    dialog.get_by_role("group", name="Who may subscribe").get_by_label("admin").check()
    dialog.get_by_label("Anyone may publish without credentials", exact=False).check()
    dialog.get_by_role("button", name="Save rule").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("table", name="Topic rules").get_by_role("row").filter(has_text=topic)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("operator")
    expect(row).to_contain_text("may publish")
    screenshot(page, "admin-topics")
    rule = admin_person.api.get(f"/api/notifications/topic-access/{topic}").json()
    assert rule["publish_roles"] == ["operator"]
    assert rule["subscribe_roles"] == ["admin"]
    assert rule["anonymous_publish"] is True

    row.get_by_role("button", name=f"Edit {topic}").click()
    dialog = page.get_by_role("dialog", name=f"Edit {topic}")
    expect(dialog.get_by_label("Topic", exact=True)).to_be_disabled()
    dialog.get_by_label("Anyone may publish without credentials", exact=False).uncheck()
    dialog.get_by_role("button", name="Save rule").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("off")
    assert (
        admin_person.api.get(f"/api/notifications/topic-access/{topic}").json()["anonymous_publish"]
        is False
    )

    row.get_by_role("button", name=f"Remove the rule of {topic}").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove rule").click()
    expect(row).to_have_count(0)
    gone = admin_person.api.get(f"/api/notifications/topic-access/{topic}")
    assert gone.status_code == 404
