"""Every route at a phone's 390 x 844 and a desktop's 1280 x 800: no sideways scroll, every control
inside the viewport (also the nav menu, the bell panel, toasts, dialogs and the Admin menu once
opened), and axe-core reporting no serious or critical violation.

The routes come from the router's table (web/src/app/App.tsx), so a new screen is swept as soon
as it is routed. One logged-in browser context per viewport serves the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.realtime.conftest import Server, admin
from tests.web.conftest import Person, login, screenshot

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "web" / "src" / "app" / "App.tsx"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex='0'], "
    "[role=menuitem]"
)


def routed_paths() -> list[str]:
    """The paths of the logged-in router (`<Route path=…>` and the index route) in App.tsx."""
    source = APP.read_text()
    signed_in = source[source.index("<Route element={<Layout />}>") :]
    paths = ["/"] if "<Route index" in signed_in else []
    paths += [f"/{p}" for p in re.findall(r'<Route path="([^"/][^"]*)"', signed_in)]
    paths += ["/shared/:token", "/login"]
    return paths


ROUTES = routed_paths()


@dataclass
class Fixture:
    """What the sweep needs: the admin, one of their dashboards (with the priority chart), its
    share token, and a logged-in context per viewport."""

    person: Person
    dashboard_id: int
    share_token: str
    contexts: dict[str, BrowserContext]

    def url(self, path: str) -> str:
        return (
            path.replace(":id", str(self.dashboard_id))
            .replace(":token", self.share_token)
            .replace("*", "no-such-page")
        )


def new_context(browser: Browser, server: Server, viewport: dict[str, int]) -> BrowserContext:
    """A browser profile at `viewport`. It bypasses the page's Content-Security-Policy, which
    would refuse axe-core's injected script (test_content_security_policy checks the CSP)."""
    context = browser.new_context(
        base_url=server.http,
        viewport=viewport,  # type: ignore[arg-type]
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture(scope="module")
def sweep(browser: Browser, ui_server: Server) -> Iterator[Fixture]:
    api = admin(ui_server.http)
    person = Person(api)
    templates = api.get("/api/dashboards/templates").json()["items"]
    overview = next(t for t in templates if t.get("key") == "operations-overview")
    layout = api.post(
        f"/api/dashboards/templates/{overview['id']}/apply", {"name": "Sweep board"}
    ).json()
    share = api.post(f"/api/dashboards/{layout['id']}/share").json()
    # A channel for the Channels table (names are unique per server: one per module run).
    api.post(
        "/api/notifications/channels",
        {
            "name": f"sweep-hook-{layout['id']}",
            "type": "webhook",
            "config": {"url": "https://hooks.example.com/wakedock/a-rather-long-path"},
        },
    )
    # An integration for the Integrations table.
    hook = api.post(
        "/api/integrations",
        {
            "kind": "hook",
            "name": f"sweep-hook-{layout['id']}",
            "target": {"roles": ["admin", "operator"]},
            "templates": {"title": "{{ payload.title }}"},
        },
    )
    assert hook.status_code == 201, hook.text
    # A Gotify application and an ntfy access token for the Connected apps tables.
    api.post("/api/compat/gotify/applications", {"name": "Sweep backups", "topic": "sweep"})
    api.post("/api/compat/ntfy/tokens", {"name": "sweep-phone"})
    # A topic rule for the Topics table.
    rule = httpx.put(
        f"{ui_server.http}/api/notifications/topic-access/sweep-{layout['id']}",
        json={"publish_roles": ["admin", "operator"], "anonymous_publish": True},
        headers=api.headers,
    )
    assert rule.status_code == 200, rule.text
    for priority in ("low", "normal", "high"):
        api.notify(f"Sweep {priority}", message="A message to show", priority=priority)
    contexts: dict[str, BrowserContext] = {}
    for name, viewport in VIEWPORTS.items():
        context = new_context(browser, ui_server, viewport)
        login(context.new_page(), person)
        contexts[name] = context
    try:
        yield Fixture(person, layout["id"], share["token"], contexts)
    finally:
        for context in contexts.values():
            context.close()


def settle(page: Page) -> None:
    """Wait until the screen has loaded its data (no busy regions, fonts and layout done)."""
    page.wait_for_load_state("load")
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
    # Entry animations done: axe measures colours as painted, and an item fading in (the
    # notification center's, 160 ms) is paler than it ends. Endless ones (a pulse) never end.
    page.wait_for_function(
        "() => document.getAnimations().every("
        "a => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)"
    )


def no_sideways_scroll(page: Page) -> None:
    width, scroll = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= width, f"{page.url}: {scroll} px wide in a {width} px viewport"


def outside(page: Page, scope: str, *, vertical: bool) -> list[str]:
    """Visible interactive elements of `scope` not (fully) inside the viewport."""
    result: list[str] = page.evaluate(
        """([scope, selector, vertical]) => {
            const w = window.innerWidth, h = window.innerHeight, out = [];
            for (const root of document.querySelectorAll(scope)) {
              const all = [root, ...root.querySelectorAll(selector)]
                .filter(e => e.matches(selector));
              for (const el of all) {
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) continue;
                if (getComputedStyle(el).visibility === 'hidden') continue;
                if (el.closest('.visually-hidden, .skip-link')) continue;
                // Inside a scrolling box (a long dialog, the bell's list) scrolling reaches it.
                // (A wide table scrolls sideways in its own focusable box: that is fine too.)
                let scrollsY = false, scrollsX = false;
                for (let p = el.parentElement; p && p !== root.parentElement; p = p.parentElement) {
                  const style = getComputedStyle(p);
                  const y = /auto|scroll/.test(style.overflowY);
                  const x = /auto|scroll/.test(style.overflowX);
                  if (y && p.scrollHeight > p.clientHeight) scrollsY = true;
                  if (x && p.scrollWidth > p.clientWidth) scrollsX = true;
                }
                const bad = (!scrollsX && (r.left < -0.5 || r.right > w + 0.5)) ||
                  (vertical && !scrollsY && (r.top < -0.5 || r.bottom > h + 0.5));
                if (bad) out.push(`${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label')
                  || el.textContent || el.getAttribute('name') || '').trim().slice(0, 40)}" at
                  ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)}`);
              }
            }
            return out;
        }""",
        [scope, INTERACTIVE, vertical],
    )
    return result


def axe_violations(page: Page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n =>
                n.target.join(' ') + (n.any[0] ? ` (${n.any[0].message})` : ''))}));
        }"""
    )
    return [f"{v['id']}: {v['help']} {v['nodes']}" for v in found]


def check(page: Page, what: str, overlay: str | None = None) -> None:
    """The whole checklist on the page as it is now; `overlay` must fit the viewport entirely."""
    no_sideways_scroll(page)
    stray = outside(page, "body", vertical=False)
    assert not stray, f"{what}: controls off-screen sideways: {stray}"
    if overlay:
        stray = outside(page, overlay, vertical=True)
        assert not stray, f"{what}: {overlay} controls outside the viewport: {stray}"
    violations = axe_violations(page)
    assert not violations, f"{what}: axe: " + "\n".join(violations)


@pytest.fixture(params=list(VIEWPORTS))
def view(request: pytest.FixtureRequest, sweep: Fixture) -> Iterator[tuple[str, Page]]:
    page = sweep.contexts[request.param].new_page()
    try:
        yield request.param, page
    finally:
        page.close()


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_fits_and_passes_axe(
    route: str, view: tuple[str, Page], sweep: Fixture, browser: Browser, ui_server: Server
) -> None:
    size, page = view
    if route in ("/login", "/shared/:token"):
        # Logged-out screens: a fresh profile.
        context = new_context(browser, ui_server, VIEWPORTS[size])
        try:
            page = context.new_page()
            page.goto(sweep.url(route))
            settle(page)
            check(page, f"{route} at {size}")
        finally:
            context.close()
        return
    page.goto(sweep.url(route))
    settle(page)
    expect(page.locator("main h1").first).to_be_visible()
    check(page, f"{route} at {size}")


def test_phone_navigation_is_a_menu_that_closes_on_navigation(sweep: Fixture) -> None:
    page = sweep.contexts["phone"].new_page()
    page.goto("/")
    settle(page)
    header = page.locator(".app-header").bounding_box()
    assert header
    assert header["height"] <= 64, header
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notifications")).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.get_by_text("Admin", exact=True).click()
    expect(nav.get_by_role("link", name="Audit log")).to_be_visible()
    check(page, "phone nav menu", overlay=".main-nav")
    screenshot(page, "phone-menu")
    nav.get_by_role("link", name="Users").click()
    expect(page).to_have_url(re.compile("/admin/users$"))
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Audit log")).to_be_hidden()
    # The user's name is readable, not cut to a letter: the menu shows it whole.
    page.get_by_role("button", name=sweep.person.username, exact=True).click()
    check(page, "phone user menu", overlay=".menu-panel")
    page.close()


def test_admin_menu_closes_on_navigation_and_outside_click(sweep: Fixture) -> None:
    page = sweep.contexts["desktop"].new_page()
    page.goto("/")
    settle(page)
    admin_menu = page.locator(".nav-group")
    page.get_by_text("Admin", exact=True).click()
    expect(admin_menu).to_have_attribute("open", "")
    check(page, "admin menu", overlay=".nav-group-panel")
    page.get_by_role("link", name="Channels").click()
    expect(page).to_have_url(re.compile("/admin/channels$"))
    expect(admin_menu).not_to_have_attribute("open", "")
    page.get_by_text("Admin", exact=True).click()
    expect(admin_menu).to_have_attribute("open", "")
    page.locator("main h1").click()
    expect(admin_menu).not_to_have_attribute("open", "")
    page.close()


def test_bell_panel_and_toasts_stay_on_screen_and_apart(
    view: tuple[str, Page], sweep: Fixture
) -> None:
    size, page = view
    page.goto("/notifications")
    settle(page)
    page.get_by_role("button", name=re.compile("^Notifications,")).click()
    panel = page.get_by_role("dialog", name="Notifications")
    expect(panel.get_by_role("list", name="Latest notifications")).to_be_visible()
    check(page, f"bell panel at {size}", overlay=".bell-panel")
    sweep.person.api.notify(f"Toast at {size}", message="Arrives while the panel is open")
    toast = page.get_by_role("article", name=f"Toast at {size}")
    expect(toast).to_be_visible()
    stray = outside(page, ".toasts", vertical=True)
    assert not stray, stray
    box, pane = toast.bounding_box(), panel.bounding_box()
    assert box
    assert pane
    overlap = not (
        box["x"] >= pane["x"] + pane["width"]
        or box["x"] + box["width"] <= pane["x"]
        or box["y"] >= pane["y"] + pane["height"]
        or box["y"] + box["height"] <= pane["y"]
    )
    assert not overlap, f"toast {box} covers the bell panel {pane}"
    screenshot(page, f"bell-panel-{size}")


def test_dialogs_fit_and_tie_labels_to_fields(view: tuple[str, Page], sweep: Fixture) -> None:
    size, page = view
    for path, opener in [
        ("/admin/users", "Create user"),
        ("/admin/channels", "Add channel"),
        ("/admin/integrations", "Add integration"),
        ("/admin/topics", "Add rule"),
        ("/preferences", "Add subscription"),
        ("/dashboards", "New dashboard"),
        (f"/dashboards/{sweep.dashboard_id}", "Save as template"),
        (f"/dashboards/{sweep.dashboard_id}", "Display"),
    ]:
        page.goto(path)
        settle(page)
        page.get_by_role("button", name=opener).first.click()
        dialog = page.locator("dialog[open]")
        expect(dialog).to_be_visible()
        check(page, f"{opener} dialog at {size}", overlay="dialog[open]")
        ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
        duplicates = {i for i in ids if ids.count(i) > 1}
        assert not duplicates, f"{path}: duplicate ids {duplicates}"
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()


def test_phone_tables_are_cards_and_the_dashboard_has_real_heights(sweep: Fixture) -> None:
    page = sweep.contexts["phone"].new_page()
    for path in ("/admin/users", "/admin/channels", "/admin/topics", "/admin/audit"):
        page.goto(path)
        settle(page)
        first = page.locator("main table tbody tr").first
        expect(first).to_be_visible()
        # Stacked: every cell of the first row starts at the row's left edge, labelled.
        cells = first.locator("td")
        lefts = {round(cells.nth(i).bounding_box()["x"]) for i in range(cells.count())}  # type: ignore[index]
        assert len(lefts) == 1, f"{path}: cells side by side at {lefts}"
        check(page, f"{path} cards")
        screenshot(page, f"phone-{path.rsplit('/', 1)[1]}")
    page.goto(f"/dashboards/{sweep.dashboard_id}")
    settle(page)
    chart = page.get_by_role("article", name="Notifications by priority")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box
    assert box["height"] >= 180, box
    expect(chart.locator("canvas, svg").first).to_be_visible()
    chart.scroll_into_view_if_needed()
    screenshot(page, "phone-dashboard")
    page.close()


def test_the_app_is_installable_and_has_an_offline_page(
    browser: Browser, ui_server: Server
) -> None:
    context = new_context(browser, ui_server, VIEWPORTS["phone"])
    try:
        page = context.new_page()
        page.goto("/login")
        manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
        assert manifest_url
        answer = page.request.get(manifest_url)
        assert answer.ok
        assert answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["display"] == "standalone"
        assert manifest["start_url"] == "/"
        sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
        assert {"192x192", "512x512"} <= sizes
        for icon in manifest["icons"]:
            fetched = page.request.get(icon["src"])
            assert fetched.ok, icon
            assert fetched.headers["content-type"] == icon["type"], icon
        # The service worker (web push's) is registered on load and serves the offline page.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        context.set_offline(True)
        try:
            page.goto("/notifications")
            expect(page.get_by_role("heading", name="WakeDock cannot be reached")).to_be_visible()
            assert not axe_violations(page)
            screenshot(page, "phone-offline")
        finally:
            context.set_offline(False)
        page.get_by_role("link", name="Try again").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    finally:
        context.close()
