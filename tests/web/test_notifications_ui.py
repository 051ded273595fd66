"""Real-time notifications in the browser: toasts, the bell, the center and the demo page, live
against a real server (notifications created through the API, broadcasts, read sync)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Pages, Person, screenshot

LIVE_WITHIN_MS = 1000
BELL = re.compile(r"^Notifications, ")


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def wait_live(page: Page) -> None:
    """The page's notification socket is open (said hello)."""
    expect(page.locator("#bell-connection")).to_have_text("Live")


def settled(page: Page) -> None:
    """Entry animations finished (for screenshots). A function, not an expression: Playwright
    polls an expression with eval, which the page's Content-Security-Policy refuses."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def bell(page: Page) -> Locator:
    return page.get_by_role("button", name=BELL)


def toast(page: Page, title: str) -> Locator:
    return (
        page.get_by_role("region", name="New notifications")
        .get_by_role("article")
        .filter(has_text=title)
    )


def center_item(page: Page, title: str) -> Locator:
    return (
        page.get_by_role("list", name="Notifications", exact=True)
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=title))
    )


def center_items(page: Page) -> Locator:
    return page.get_by_role("list", name="Notifications", exact=True).get_by_role("listitem")


def panel(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Notifications")


def test_an_api_notification_shows_as_toast_in_the_bell_and_in_the_center(
    pages: Pages, person: Person
) -> None:
    earlier = person.api.notify(
        unique("Nightly report"),
        message="All 14 checks passed.",
        type="info",
        priority="low",
        data={"checks": 14, "failed": []},
    )
    page = pages.open(person, "/notifications")
    wait_live(page)
    expect(center_item(page, earlier["title"])).to_be_visible()
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")

    title = unique("Backup done")
    person.api.notify(
        title,
        message="db1: 2.1 GB",
        type="success",
        priority="high",
        action_url="/dashboards",
        action_label="Open dashboards",
    )
    # Live, without a reload, within a second of the API's answer.
    expect(toast(page, title)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(center_item(page, title)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(bell(page)).to_have_accessible_name("Notifications, 2 unread", timeout=LIVE_WITHIN_MS)
    expect(page.get_by_test_id("bell-badge")).to_have_text("2")
    # Newest first, at the top of the list.
    expect(center_items(page).first).to_contain_text(title)
    expect(toast(page, title)).to_contain_text("High")
    item = center_item(page, title)
    expect(item.get_by_role("link", name="Open dashboards")).to_have_attribute(
        "href", "/dashboards"
    )
    # `data` is shown on demand, as pretty JSON.
    details = center_item(page, earlier["title"]).get_by_text("Details")
    details.click()
    expect(center_item(page, earlier["title"]).locator("pre")).to_contain_text('"checks": 14')
    settled(page)
    screenshot(page, "notification-center")

    bell(page).click()
    expect(panel(page)).to_be_visible()
    expect(panel(page).get_by_role("listitem").first).to_contain_text(title)
    expect(panel(page).get_by_role("link", name="View all")).to_have_attribute(
        "href", "/notifications"
    )
    settled(page)
    screenshot(page, "bell-panel")

    # Another notification while the panel is open appears in it at once.
    third = unique("Cert renewed")
    person.api.notify(third, type="info")
    expect(panel(page).get_by_role("listitem").first).to_contain_text(third, timeout=LIVE_WITHIN_MS)
    # Mark all read from the panel: the badge goes and the center follows.
    panel(page).get_by_role("button", name="Mark all read").click()
    expect(bell(page)).to_have_accessible_name("Notifications, no unread")
    expect(page.get_by_test_id("bell-badge")).to_have_count(0)
    # The server agrees: after a reload the count comes from it.
    page.reload()
    wait_live(page)
    expect(bell(page)).to_have_accessible_name("Notifications, no unread")


def test_read_state_and_deletions_sync_to_a_second_tab(pages: Pages, person: Person) -> None:
    first = person.api.notify(unique("Disk almost full"), type="warning", priority="high")
    second = person.api.notify(unique("Deploy finished"), type="deployment")
    page = pages.open(person, "/notifications")
    other = pages.tab(page, "/notifications")
    wait_live(page)
    wait_live(other)
    expect(bell(other)).to_have_accessible_name("Notifications, 2 unread")

    center_item(page, first["title"]).get_by_role("button", name="Mark read").click()
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")
    # The other tab hears it from the server's `read` event.
    expect(bell(other)).to_have_accessible_name("Notifications, 1 unread", timeout=LIVE_WITHIN_MS)
    expect(
        center_item(other, first["title"]).get_by_role("button", name="Mark unread")
    ).to_be_visible(timeout=LIVE_WITHIN_MS)

    # Unread again from the second tab, then delete (with a confirmation) in the first.
    center_item(other, first["title"]).get_by_role("button", name="Mark unread").click()
    expect(bell(page)).to_have_accessible_name("Notifications, 2 unread", timeout=LIVE_WITHIN_MS)
    item = center_item(page, second["title"])
    item.get_by_role("button", name="Delete").click()
    item.get_by_role("button", name="Yes, delete").click()
    expect(center_item(page, second["title"])).to_have_count(0)
    expect(center_item(other, second["title"])).to_have_count(0, timeout=LIVE_WITHIN_MS)
    expect(bell(other)).to_have_accessible_name("Notifications, 1 unread", timeout=LIVE_WITHIN_MS)
    assert person.api.get(f"/api/notifications/{second['id']}").status_code == 404


def test_an_admin_broadcast_reaches_another_users_browser(
    pages: Pages, person: Person, admin_person: Person
) -> None:
    page = pages.open(person)
    wait_live(page)
    title = unique("Maintenance at 22:00")
    answer = admin_person.api.post(
        "/api/notifications/broadcast",
        {
            "title": title,
            "message": "The API will be read-only for 10 minutes.",
            "type": "system",
            "priority": "high",
            "target": {"user_ids": [person.api.user_id]},
        },
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["recipients"] == 1
    # The broadcast worker writes it; the socket pushes it.
    expect(toast(page, title)).to_be_visible(timeout=5000)
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")
    bell(page).click()
    expect(panel(page).get_by_role("listitem").first).to_contain_text(title)


def test_the_notification_panel_works_with_the_keyboard_alone(pages: Pages, person: Person) -> None:
    titles = [unique(f"Keyboard {n}") for n in (1, 2, 3)]
    for title in titles:
        person.api.notify(title)
    page = pages.open(person)
    wait_live(page)
    expect(bell(page)).to_have_accessible_name("Notifications, 3 unread")
    expect(bell(page)).to_have_attribute("aria-haspopup", "dialog")
    expect(bell(page)).to_have_attribute("aria-expanded", "false")

    # Tab from the top of the page to the bell.
    page.locator("body").focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.getAttribute('aria-label') || ''").startswith(
            "Notifications,"
        ):
            break
    expect(bell(page)).to_be_focused()

    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    expect(bell(page)).to_have_attribute("aria-expanded", "true")
    rows = panel(page).locator("[data-item]")
    # Focus moved into the panel, on the newest notification.
    expect(rows.nth(0)).to_be_focused()
    expect(rows.nth(0)).to_contain_text(titles[2])
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(rows.nth(1)).to_be_focused()
    expect(rows.nth(1)).to_contain_text(titles[1])

    # Tab to the row's own button and mark it read with Enter.
    page.keyboard.press("Tab")
    mark = panel(page).get_by_role("button", name=f"Mark read: {titles[1]}")
    expect(mark).to_be_focused()
    page.keyboard.press("Enter")
    expect(bell(page)).to_have_accessible_name("Notifications, 2 unread")
    expect(panel(page).get_by_role("button", name=f"Mark unread: {titles[1]}")).to_be_focused()
    # Arrows still work from inside a row.
    page.keyboard.press("ArrowDown")
    expect(rows.nth(2)).to_be_focused()

    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    expect(bell(page)).to_be_focused()
    expect(bell(page)).to_have_attribute("aria-expanded", "false")

    # Space opens it too; Enter on a row opens the notification center.
    page.keyboard.press("Space")
    expect(panel(page)).to_be_visible()
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{pages.base_url}/notifications")
    expect(panel(page)).to_be_hidden()
    # Opening it marked it read, on the server too.
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")
    page.reload()
    wait_live(page)
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")


def test_an_urgent_toast_stays_while_an_info_toast_times_out(pages: Pages, person: Person) -> None:
    page = pages.open(person, "/demo")
    wait_live(page)
    page.mouse.move(5, 500)  # away from the toasts (hovering pauses them)
    info = unique("Weekly report ready")
    urgent = unique("Database is down")
    warning = unique("Certificate expires soon")
    person.api.notify(info, type="info", message="Open it when you have a minute.")
    person.api.notify(warning, type="warning", priority="high", message="in 6 days")
    person.api.notify(
        urgent,
        type="error",
        priority="urgent",
        message="Primary is unreachable.",
        action_url="/notifications",
        action_label="Investigate",
    )
    for title in (info, warning, urgent):
        expect(toast(page, title)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(toast(page, urgent)).to_have_attribute("data-priority", "urgent")
    expect(toast(page, urgent)).to_contain_text("Urgent")
    # Announced: politely, and assertively for the urgent one.
    expect(page.get_by_test_id("toast-announcer-urgent")).to_contain_text(urgent)
    expect(page.get_by_test_id("toast-announcer")).to_contain_text(warning)
    settled(page)
    screenshot(page, "toasts")

    expect(toast(page, info)).to_be_hidden(timeout=9000)
    expect(toast(page, warning)).to_be_hidden()
    expect(toast(page, urgent)).to_be_visible()
    # Dismissed by hand.
    toast(page, urgent).get_by_role("button", name=f"Dismiss: {urgent}").click()
    expect(toast(page, urgent)).to_be_hidden()


def test_hovering_pauses_a_toast_and_the_stack_keeps_four(pages: Pages, person: Person) -> None:
    page = pages.open(person, "/demo")
    wait_live(page)
    page.mouse.move(5, 500)
    titles = [unique(f"Burst {n}") for n in range(6)]
    for title in titles:
        person.api.notify(title, type="info")
    expect(toast(page, titles[5])).to_be_visible(timeout=LIVE_WITHIN_MS)
    stack = page.get_by_role("region", name="New notifications").get_by_role("article")
    expect(stack).to_have_count(4)
    expect(toast(page, titles[0])).to_have_count(0)  # the oldest were dropped
    toast(page, titles[5]).hover()
    # Past the 6 s timeout, the hovered toast is still there; the others went.
    expect(toast(page, titles[4])).to_be_hidden(timeout=9000)
    expect(toast(page, titles[5])).to_be_visible()
    page.mouse.move(5, 500)
    expect(toast(page, titles[5])).to_be_hidden(timeout=9000)


def test_center_filters_search_and_loads_more(pages: Pages, person: Person) -> None:
    tag = uuid.uuid4().hex[:6]
    person.api.notify(f"Disk warning {tag}", type="warning", priority="high")
    person.api.notify(f"Backup ok {tag}", type="success", message="needle-in-message")
    read = person.api.notify(f"Old info {tag}", type="info", priority="low")
    assert person.api.post(f"/api/notifications/{read['id']}/read").status_code == 200
    for n in range(22):
        person.api.notify(f"Filler {n:02d} {tag}", type="info")
    page = pages.open(person, "/notifications")
    wait_live(page)
    expect(center_items(page)).to_have_count(20)
    # The rest come by scrolling (or the "Load more" button).
    page.get_by_role("button", name="Load more").scroll_into_view_if_needed()
    expect(center_items(page)).to_have_count(25)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)

    page.get_by_label("Type").select_option("warning")
    expect(center_items(page)).to_have_count(1)
    expect(center_items(page).first).to_contain_text(f"Disk warning {tag}")
    expect(page).to_have_url(re.compile(r"type=warning"))
    page.get_by_label("Type").select_option("")

    page.get_by_label("Priority").select_option("low")
    expect(center_items(page)).to_have_count(1)
    expect(center_items(page).first).to_contain_text(f"Old info {tag}")
    page.get_by_label("Unread only").check()
    expect(page.get_by_text("No notifications match these filters.")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(center_items(page)).to_have_count(25)  # the unfiltered pages already loaded

    # The search is the API's `q`: title or message.
    page.get_by_label("Search").fill("needle-in")
    expect(center_items(page)).to_have_count(1)
    expect(center_items(page).first).to_contain_text(f"Backup ok {tag}")
    page.get_by_label("Type").select_option("success")
    expect(center_items(page)).to_have_count(1)
    # A live notification that matches the filters appears; one that does not, does not.
    person.api.notify(f"Another needle-in-it {tag}", type="success")
    person.api.notify(f"Unrelated needle-in {tag}", type="error")
    expect(center_items(page)).to_have_count(2, timeout=LIVE_WITHIN_MS)
    expect(center_items(page).first).to_contain_text(f"Another needle-in-it {tag}")
    expect(center_item(page, f"Unrelated needle-in {tag}")).to_have_count(0)


def test_the_demo_page_sends_a_notification(pages: Pages, person: Person) -> None:
    page = pages.open(person, "/demo")
    wait_live(page)
    form = page.get_by_role("form", name="Custom notification")
    # The API's validation errors show next to their fields.
    form.get_by_role("button", name="Send notification").click()
    expect(form.locator("#demo-title-error")).to_contain_text("This field is required")
    expect(form.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Title").fill(unique("Bad link"))
    form.get_by_label("Action label (optional)").fill("x" * 70)
    form.get_by_role("button", name="Send notification").click()
    expect(form.locator("#demo-action_label-error")).to_contain_text("at most 64 characters")
    expect(form.locator("#demo-title-error")).to_have_count(0)
    assert person.api.get("/api/notifications?limit=1").json()["items"] == []

    title = unique("Demo alert")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Message").fill("Sent from the demo page.")
    form.get_by_label("Type").select_option("warning")
    form.get_by_label("Priority").select_option("high")
    form.get_by_label("Action URL (optional)").fill("/dashboards")
    form.get_by_label("Action label (optional)").fill("See dashboards")
    form.get_by_role("button", name="Send notification").click()
    expect(form.get_by_role("status")).to_contain_text(f"Sent “{title}”")
    expect(toast(page, title)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(toast(page, title)).to_have_attribute("data-type", "warning")
    settled(page)
    screenshot(page, "demo")
    created = person.api.get("/api/notifications?limit=5").json()["items"]
    mine = next(n for n in created if n["title"] == title)
    assert (mine["type"], mine["priority"], mine["action_url"], mine["action_label"]) == (
        "warning",
        "high",
        "/dashboards",
        "See dashboards",
    )

    # A preset sends at once; clicking its toast opens the action.
    page.get_by_role("button", name=re.compile("^Service down")).click()
    expect(toast(page, "Service api is down")).to_be_visible(timeout=LIVE_WITHIN_MS)
    toast(page, "Service api is down").get_by_role("button", name="Investigate").click()
    expect(page).to_have_url(f"{pages.base_url}/notifications")
    expect(toast(page, "Service api is down")).to_have_count(0)
