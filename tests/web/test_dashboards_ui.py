"""Dashboards in a real browser: templates, the widget catalogue, drag/resize, home, sharing."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.realtime.conftest import new_user
from tests.web.conftest import Pages, Person, login, screenshot


def _layout(person: Person, name: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    answer = person.api.post("/api/dashboards", {"name": name})
    assert answer.status_code == 201, answer.text
    layout = answer.json()
    for widget in widgets:
        created = person.api.post(f"/api/dashboards/{layout['id']}/widgets", widget)
        assert created.status_code == 201, created.text
    return person.api.get(f"/api/dashboards/{layout['id']}").json()


def _position(person: Person, layout_id: int, widget_id: int) -> dict[str, int]:
    layout = person.api.get(f"/api/dashboards/{layout_id}").json()
    return next(w["position"] for w in layout["widgets"] if w["id"] == widget_id)


def _drag(page: Page, start: dict[str, float], dx: float, dy: float) -> None:
    """Press at `start`, move in small steps (so the grid follows), release."""
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    steps = 12
    for step in range(1, steps + 1):
        page.mouse.move(start["x"] + dx * step / steps, start["y"] + dy * step / steps)
    page.mouse.up()


def _grid_step(page: Page, columns: int = 12, gap: int = 8) -> float:
    """Pixels per grid column (column width + gap) of the dashboard grid on the page."""
    box = page.locator(".react-grid-layout").bounding_box()
    assert box
    return (box["width"] - gap * (columns - 1)) / columns + gap


def test_a_template_makes_a_dashboard_with_live_widgets(pages: Pages, person: Person) -> None:
    person.api.notify("Disk almost full", priority="high")
    person.api.notify("Backup done")
    page = pages.open(person, "/dashboards")
    expect(page.get_by_role("heading", name="No dashboards yet")).to_be_visible()
    page.get_by_label("Dashboard name").fill("My ops")
    page.get_by_role("button", name="Use template Operations overview").click()
    expect(page.get_by_role("heading", name="My ops", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/dashboards/\d+$"))
    # Real data from the server: the user's two unread notifications, this host's metrics.
    unread = page.get_by_role("article", name="Unread", exact=True)
    expect(unread.get_by_test_id("stat-value")).to_have_text("2")
    feed = page.get_by_role("article", name="Latest notifications")
    expect(feed.get_by_text("Disk almost full")).to_be_visible()
    expect(page.get_by_role("article", name="CPU").get_by_test_id("stat-value")).to_have_text(
        re.compile(r"\d")
    )
    expect(
        page.get_by_role("article", name="Host").get_by_role("meter", name="Memory")
    ).to_be_visible()
    expect(
        page.get_by_role("article", name="Notifications by priority").get_by_role("img")
    ).to_be_visible()
    # A server-side quick action updates the live widgets.
    page.get_by_role("article", name="Quick actions").get_by_role(
        "button", name="Mark all read"
    ).click()
    expect(unread.get_by_test_id("stat-value")).to_have_text("0")
    page.get_by_role("button", name="Edit layout").click()
    expect(page.get_by_role("button", name="Move CPU", exact=True)).to_be_visible()
    screenshot(page, "dashboard-editor")
    # The list shows it with its widget count; a blank one can be added next to it.
    page.get_by_role("link", name="Dashboards", exact=True).first.click()
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="My ops"))
    expect(card).to_contain_text("9 widgets")
    page.get_by_role("button", name="+ New dashboard").click()
    dialog = page.get_by_role("dialog", name="New dashboard")
    dialog.get_by_label("Dashboard name").fill("Scratch")
    dialog.get_by_role("button", name="Create blank dashboard").click()
    expect(page.get_by_role("heading", name="Scratch", level=1)).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Scratch")).to_be_visible()
    screenshot(page, "dashboards")


def test_list_renames_duplicates_and_deletes(pages: Pages, person: Person) -> None:
    _layout(person, "Alpha", [{"type": "text", "config": {"markdown": "hi"}}])
    page = pages.open(person, "/dashboards")
    page.get_by_role("button", name="Rename Alpha").click()
    dialog = page.get_by_role("dialog", name="Rename “Alpha”")
    dialog.get_by_label("Name").fill("")
    dialog.get_by_role("button", name="Rename").click()
    expect(dialog.get_by_role("alert")).to_have_text("Give the dashboard a name")
    dialog.get_by_label("Name").fill("Beta")
    dialog.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Beta")).to_be_visible()
    page.get_by_role("button", name="Duplicate Beta").click()
    page.get_by_role("dialog").get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Beta (copy)", level=1)).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Delete Beta (copy)").click()
    confirm = page.get_by_role("dialog", name="Delete dashboard")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    page.get_by_role("button", name="Delete Beta (copy)").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete dashboard").click()
    expect(page.get_by_role("heading", name="Beta (copy)")).to_be_hidden()
    names = [item["name"] for item in person.api.get("/api/dashboards").json()["items"]]
    assert names == ["Beta"]


def test_a_widget_is_added_from_the_catalogue_with_a_generated_form(
    pages: Pages, person: Person
) -> None:
    layout = _layout(person, "Catalogue", [])
    page = pages.open(person, f"/dashboards/{layout['id']}")
    expect(page.get_by_text("This dashboard has no widgets yet.")).to_be_visible()
    page.get_by_role("button", name="+ Add a widget").click()
    dialog = page.get_by_role("dialog", name="Add a widget")
    dialog.get_by_role("button", name=re.compile("^Stat")).click()
    form = page.get_by_role("form", name="Stat settings")
    expect(form.get_by_label("Title")).to_be_focused()
    # Generated from the JSON Schema: a choice of data sources, text, integer and a list.
    expect(form.get_by_label("Source")).to_be_visible()
    expect(form.get_by_label("Decimals")).to_have_value("1")
    expect(form.get_by_role("group", name="Thresholds")).to_be_visible()
    form.get_by_label("Title").fill("Memory used")
    form.get_by_role("button", name="Add widget").click()
    # Required fields are reported next to them.
    expect(form.get_by_label("Query")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_text("This field is required").first).to_be_visible()
    form.get_by_label("Source").select_option(label="This host (system)")
    form.get_by_label("Query").fill("memory.percent")
    form.get_by_label("Unit").fill("%")
    form.get_by_label("Decimals").fill("9")
    form.get_by_role("button", name="Add widget").click()
    expect(form.get_by_text("Must be at most 6")).to_be_visible()
    form.get_by_label("Decimals").fill("0")
    form.get_by_role("button", name="Add widget").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    widget = page.get_by_role("article", name="Memory used")
    expect(widget.get_by_test_id("stat-value")).to_have_text(re.compile(r"^\d+\s*%$"))
    saved = person.api.get(f"/api/dashboards/{layout['id']}").json()["widgets"]
    assert [
        (w["type"], w["config"]["source"], w["config"]["query"], w["config"]["decimals"])
        for w in saved
    ] == [("single_stat", "system", "memory.percent", 0)]
    # Edit it: the form opens with the stored config; the server's answer is shown live.
    page.get_by_role("button", name="Edit Memory used").click()
    form = page.get_by_role("form", name="Stat settings")
    expect(form.get_by_label("Query")).to_have_value("memory.percent")
    form.get_by_label("Query").fill("no.such.path")
    form.get_by_role("button", name="Save widget").click()
    expect(widget.get_by_role("alert")).to_contain_text("no_data")
    # Remove it after confirming.
    page.get_by_role("button", name="Remove Memory used").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove widget").click()
    expect(page.get_by_text("This dashboard has no widgets yet.")).to_be_visible()


def _note(title: str, x: int, y: int, w: int, h: int) -> dict[str, Any]:
    return {"type": "text", "title": title, "position": {"x": x, "y": y, "w": w, "h": h},
            "config": {"markdown": title}}  # fmt: skip


def editor_boxes(page: Page, row_height: int = 80, gap: int = 8) -> dict[int, dict[str, int]]:
    """Every widget's grid box as the page shows it (from the cells' pixels)."""
    grid = page.locator(".react-grid-layout").bounding_box()
    assert grid
    step = _grid_step(page, gap=gap)
    row = row_height + gap
    boxes: dict[int, dict[str, int]] = {}
    for cell in page.locator("[data-widget-id]").all():
        box = cell.bounding_box()
        assert box
        boxes[int(cell.get_attribute("data-widget-id") or 0)] = {
            "x": round((box["x"] - grid["x"]) / step),
            "y": round((box["y"] - grid["y"]) / row),
            "w": round((box["width"] + gap) / step),
            "h": round((box["height"] + gap) / row),
        }
    return boxes


def server_boxes(person: Person, layout_id: int) -> dict[int, dict[str, int]]:
    layout = person.api.get(f"/api/dashboards/{layout_id}").json()
    return {w["id"]: w["position"] for w in layout["widgets"]}


def test_dragging_a_widget_onto_its_neighbour_pushes_it_down(pages: Pages, person: Person) -> None:
    layout = _layout(person, "Drag", [_note("Note", 0, 0, 3, 2), _note("Other", 4, 0, 3, 2)])
    note, other = (w["id"] for w in layout["widgets"])
    page = pages.open(person, f"/dashboards/{layout['id']}")
    page.get_by_role("button", name="Edit layout").click()
    handle = page.get_by_role("button", name="Move Note", exact=True)
    box = handle.bounding_box()
    assert box
    step = _grid_step(page)
    start = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    # Onto Other: Other moves down out of its way, nothing overlaps.
    _drag(page, start, dx=4 * step, dy=0)
    expect(page.get_by_text("All changes saved")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    stored = server_boxes(person, layout["id"])
    assert stored[note] == {"x": 4, "y": 0, "w": 3, "h": 2}
    assert stored[other] == {"x": 4, "y": 2, "w": 3, "h": 2}
    assert editor_boxes(page) == stored  # what the editor shows is what the server stored
    page.reload()
    assert editor_boxes(page) == stored


def test_resizing_into_a_neighbour_and_keyboard_moves_push_it(pages: Pages, person: Person) -> None:
    layout = _layout(person, "Resize", [_note("Note", 0, 0, 3, 2), _note("Other", 6, 0, 2, 2)])
    note, other = (w["id"] for w in layout["widgets"])
    page = pages.open(person, f"/dashboards/{layout['id']}")
    page.get_by_role("button", name="Edit layout").click()
    cell = page.locator(f"[data-widget-id='{note}']")
    cell.hover()
    corner = cell.locator(".react-resizable-handle").bounding_box()
    assert corner
    step = _grid_step(page)
    start = {"x": corner["x"] + corner["width"] / 2, "y": corner["y"] + corner["height"] / 2}
    _drag(page, start, dx=4 * step, dy=88)  # 7 columns wide: over Other's columns
    expect(page.get_by_text("All changes saved")).to_be_visible()
    stored = server_boxes(person, layout["id"])
    assert stored == {
        note: {"x": 0, "y": 0, "w": 7, "h": 3},
        other: {"x": 6, "y": 3, "w": 2, "h": 2},  # pushed below, not overlapped
    }
    assert editor_boxes(page) == stored
    # Keyboard: Shift+arrows resize, arrows move (and float up); moving onto Note pushes it.
    handle = page.get_by_role("button", name="Move Other", exact=True)
    handle.focus()
    page.keyboard.press("Shift+ArrowDown")
    expect(page.get_by_text("Other is now 2 columns wide and 3 rows tall")).to_be_attached()
    page.keyboard.press("ArrowRight")  # past Note's columns: floats to the top
    expect(page.get_by_text("Other moved to column 8, row 1")).to_be_attached()
    page.keyboard.press("ArrowLeft")  # onto Note: Note goes below
    expect(page.get_by_text("Other moved to column 7, row 1")).to_be_attached()
    expect(page.get_by_text("All changes saved")).to_be_visible()
    stored = server_boxes(person, layout["id"])
    assert stored == {
        note: {"x": 0, "y": 3, "w": 7, "h": 3},
        other: {"x": 6, "y": 0, "w": 2, "h": 3},
    }
    assert editor_boxes(page) == stored


def test_removing_a_widget_floats_the_others_up_here_and_shared(
    pages: Pages, person: Person
) -> None:
    layout = _layout(
        person,
        "Holes",
        [
            {"type": "unread_counter", "title": "Mine", "position": {"x": 0, "y": 0, "w": 6,
                                                                     "h": 2}},
            _note("Below", 0, 2, 4, 2),
            _note("Further", 4, 2, 4, 3),
        ],
    )  # fmt: skip
    mine, below, further = (w["id"] for w in layout["widgets"])
    # Shared: the personal counter is left out and leaves no hole.
    token = person.api.post(f"/api/dashboards/{layout['id']}/share").json()["token"]
    stranger = pages.context().new_page()
    stranger.goto(f"/shared/{token}")
    expect(stranger.get_by_role("article", name="Below")).to_be_visible()
    shared = editor_boxes(stranger)
    assert (shared[below]["y"], shared[further]["y"]) == (0, 0), shared
    # The owner removes it in the editor: the others float up there too, and on the server.
    page = pages.open(person, f"/dashboards/{layout['id']}")
    page.get_by_role("button", name="Edit layout").click()
    page.get_by_role("button", name="Remove Mine").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove widget").click()
    expect(page.locator(f"[data-widget-id='{mine}']")).to_have_count(0)
    stored = server_boxes(person, layout["id"])
    assert stored == {
        below: {"x": 0, "y": 0, "w": 4, "h": 2},
        further: {"x": 4, "y": 0, "w": 4, "h": 3},
    }
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-widget-id]')].every("
        "c => Math.abs(c.getBoundingClientRect().top - "
        "document.querySelector('.react-grid-layout').getBoundingClientRect().top) < 2)"
    )
    assert editor_boxes(page) == stored


def test_the_default_dashboard_is_the_home_page(pages: Pages, person: Person) -> None:
    person.api.notify("Welcome aboard")
    asked: list[str] = []
    context = pages.context()
    context.on("request", lambda r: asked.append(r.url) if "/dashboards/default" in r.url else None)
    page = context.new_page()
    login(page, person)
    expect(page.get_by_role("heading", name="Create your first dashboard")).to_be_visible()
    # With no default, Home does not ask for it (it was a 404 in the console on every load).
    assert asked == []
    page.get_by_role("button", name="Use template Notifications").click()
    # Created from Home, it becomes the default and shows there, live.
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_role("article", name="Feed").get_by_text("Welcome aboard")).to_be_visible()
    other = _layout(
        person,
        "Second",
        [{"type": "text", "title": "Hello", "config": {"markdown": "Hello **home**"}}],
    )
    page.goto("/dashboards")
    page.get_by_role("button", name="Make Second your default dashboard").click()
    expect(page.get_by_role("button", name="Second is your default dashboard")).to_be_visible()
    assert person.api.get("/api/dashboards/default").json()["id"] == other["id"]
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name="Second", level=1)).to_be_visible()
    expect(page.get_by_role("article", name="Hello").locator("strong")).to_have_text("home")
    person.api.post(f"/api/dashboards/{other['id']}/default")  # no-op, still default
    page.goto("/")
    page.get_by_role("heading", name="Second", level=1).wait_for()
    # Home screenshot: the template dashboard with live widgets.
    page.goto("/dashboards")
    page.get_by_role("button", name="Make Notifications your default dashboard").click()
    # Saved before leaving (as above): on a loaded machine Home could read the old default first.
    expect(
        page.get_by_role("button", name="Notifications is your default dashboard")
    ).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("article", name="Feed").get_by_text("Welcome aboard")).to_be_visible()
    screenshot(page, "home")


def test_a_share_link_opens_logged_out_until_revoked(pages: Pages, person: Person) -> None:
    layout = _layout(
        person,
        "Public board",
        [
            {"type": "text", "title": "Read me", "config": {"markdown": "Status: *green*"}},
            {"type": "unread_counter", "title": "My unread"},
        ],
    )
    page = pages.open(person, f"/dashboards/{layout['id']}")
    page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog", name="Share “Public board”")
    dialog.get_by_role("button", name="Create share link").click()
    url = dialog.get_by_label("Share link").input_value()
    assert re.search(r"/shared/wds_", url), url
    expect(dialog.get_by_role("button", name="Copy link")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Shared · manage link")).to_be_focused()

    stranger = pages.context().new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="Public board")).to_be_visible()
    expect(stranger.get_by_role("article", name="Read me").locator("em")).to_have_text("green")
    # Personal widgets are never part of a shared view; no login was asked for.
    expect(stranger.get_by_role("article", name="My unread")).to_have_count(0)
    expect(stranger.get_by_role("button", name="Sign in")).to_have_count(0)

    page.get_by_role("button", name="Shared · manage link").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke link").click()
    expect(page.get_by_role("dialog").get_by_role("status")).to_have_text("The link was revoked.")
    stranger.reload()
    expect(stranger.get_by_role("heading", name="This link does not work")).to_be_visible()


def test_another_users_dashboard_is_not_found(pages: Pages, person: Person, ui_server: Any) -> None:
    layout = _layout(person, "Private", [{"type": "text", "config": {"markdown": "secret"}}])
    intruder = Person(new_user(ui_server.http))
    page = pages.open(intruder, f"/dashboards/{layout['id']}")
    expect(page.get_by_role("heading", name="Dashboard not found")).to_be_visible()
    expect(page.get_by_text("secret")).to_have_count(0)
