"""Dashboard preferences take effect in the browser (theme, auto-refresh, grid lines, compact
mode), and a dashboard is saved as a template that then starts new dashboards."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import Pages, Person, login
from tests.web.test_dashboards_ui import _layout, _note


def _cell_height(page: Page, widget_id: int) -> float:
    box = page.locator(f"[data-widget-id='{widget_id}']").bounding_box()
    assert box
    return box["height"]


def test_preferences_change_the_dashboard(pages: Pages, person: Person) -> None:
    layout = _layout(
        person,
        "Prefs",
        [_note("Note", 0, 0, 3, 2),
         {"type": "system_metrics", "title": "Host", "config": {"metrics": ["cpu"]}}],
    )  # fmt: skip
    note, host = (w["id"] for w in layout["widgets"])
    saved = httpx.put(
        f"{person.api.base}/api/dashboards/preferences",
        json={"auto_refresh_interval": 2},
        headers=person.api.headers,
        timeout=10,
    )
    assert saved.status_code == 200, saved.text
    fetched: list[float] = []
    context = pages.context()
    context.on(
        "request",
        lambda r: fetched.append(time.monotonic()) if f"/widgets/{host}/data" in r.url else None,
    )
    page = context.new_page()
    login(page, person)
    page.goto(f"/dashboards/{layout['id']}")
    expect(page.get_by_role("article", name="Host")).to_be_visible()
    # Auto-refresh every 2 s: the Host widget's data is asked for again and again.
    page.wait_for_timeout(5_000)
    assert len(fetched) >= 3, fetched
    assert abs(_cell_height(page, note) - (2 * 80 + 8)) <= 1

    page.get_by_role("button", name="Display").click()
    dialog = page.get_by_role("dialog", name="Dashboard display")
    dialog.get_by_label("Theme").select_option("dark")
    dialog.get_by_label("Refresh widget data").select_option("0")
    dialog.get_by_label("Compact mode (shorter rows, smaller gaps)").check()
    dialog.get_by_label("Show the grid while editing").uncheck()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    section = page.locator("section.wd-dashboard")
    expect(section).to_have_class("wd-dashboard wd-theme-dark compact")
    # Compact mode: 60 px rows and 4 px gaps instead of 80 and 8.
    page.wait_for_function(
        f"() => Math.abs(document.querySelector(\"[data-widget-id='{note}']\")"
        ".getBoundingClientRect().height - 124) <= 1"
    )
    stored = person.api.get("/api/dashboards/preferences").json()
    assert (stored["theme"], stored["compact_mode"]) == ("dark", True)
    assert (stored["auto_refresh_interval"], stored["show_grid"]) == (0, False)
    # Refresh off: no more requests for the widget's data.
    page.wait_for_timeout(500)
    before = len(fetched)
    page.wait_for_timeout(4_500)
    assert len(fetched) == before
    # Grid lines only when asked for, and only while editing.
    page.get_by_role("button", name="Edit layout").click()
    expect(page.locator(".wd-grid.editing")).to_be_visible()
    expect(page.locator(".wd-grid.show-grid")).to_have_count(0)
    page.get_by_role("button", name="Display").click()
    dialog.get_by_label("Show the grid while editing").check()
    dialog.get_by_label("Theme").select_option("auto")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator(".wd-grid.editing.show-grid")).to_be_visible()
    expect(section).to_have_class("wd-dashboard compact")


def test_save_as_template_then_start_a_dashboard_from_it(pages: Pages, person: Person) -> None:
    layout = _layout(person, "Team board", [_note("Runbook", 0, 0, 4, 2)])
    page = pages.open(person, f"/dashboards/{layout['id']}")
    page.get_by_role("button", name="Save as template").click()
    dialog = page.get_by_role("dialog", name="Save as template")
    name = dialog.get_by_label("Template name")
    expect(name).to_have_value("Team board")
    # Errors in the app's own words, beside their field.
    name.fill("   ")
    dialog.get_by_role("button", name="Save template").click()
    expect(dialog.get_by_text("Give the template a name")).to_be_visible()
    expect(name).to_have_attribute("aria-invalid", "true")
    name.fill("Team start")
    dialog.get_by_label("Description").fill("x" * 1001)
    dialog.get_by_role("button", name="Save template").click()
    expect(dialog.locator(".field-error")).to_be_visible()
    expect(dialog.get_by_text("Value error")).to_have_count(0)
    dialog.get_by_label("Description").fill("Our usual start")
    dialog.get_by_role("button", name="Save template").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".wd-template-saved")).to_contain_text("Saved as template “Team start”")
    templates = person.api.get("/api/dashboards/templates").json()["items"]
    mine = next(t for t in templates if t["name"] == "Team start")
    assert (mine["description"], mine["mine"]) == ("Our usual start", True)
    # Listed where templates are: starting a dashboard from it copies the widget.
    page.get_by_role("link", name="New dashboard").click()
    page.get_by_role("button", name="+ New dashboard").click()
    page.get_by_label("Dashboard name").fill("From my template")
    page.get_by_role("button", name="Use template Team start").click()
    expect(page.get_by_role("heading", name="From my template", level=1)).to_be_visible()
    expect(page.get_by_role("article", name="Runbook")).to_be_visible()


def test_the_old_templates_three_row_host_widget_shows_network_out(
    pages: Pages, person: Person
) -> None:
    """Dashboards made from the old Operations overview kept a 3-row Host widget: all four
    metrics fit it without scrolling (no data migration of people's layouts)."""
    layout = _layout(
        person,
        "Old ops",
        [{"type": "system_metrics", "title": "Host", "position": {"x": 0, "y": 0, "w": 6, "h": 3},
          "config": {"metrics": ["cpu", "memory", "disk", "network"]}}],
    )  # fmt: skip
    page = pages.open(person, f"/dashboards/{layout['id']}")
    host = page.get_by_role("article", name="Host")
    expect(host.get_by_text("Network out")).to_be_visible()
    body = host.locator(".wd-widget-body")
    sizes = body.evaluate("b => [b.scrollHeight, b.clientHeight]")
    assert sizes[0] <= sizes[1] + 1, sizes
