"""The UI and the API reference in Chromium under their Content-Security-Policy (finding 17 of
issue 17). Every browser test also fails on any CSP violation (``pages`` in conftest): the
whole UI is exercised under the policy; these check the policy is in force and what it stops."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.realtime.conftest import Server
from tests.web.conftest import Pages, Person, is_csp_violation


def test_the_ui_works_under_the_policy_and_the_policy_stops_injected_script(
    pages: Pages, person: Person
) -> None:
    page = pages.open(person, "/dashboards")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    response = page.request.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # What an injection would try: an inline event handler and an inline script element.
    # Counted apart from the fixture's check, which fails the test on violations the UI causes.
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if is_csp_violation(m) else None)
    outcome = page.evaluate(
        """() => {
            window.handler = false;
            window.script = false;
            const img = document.createElement('img');
            img.setAttribute('onerror', 'window.handler = true');
            img.src = 'data:,not-an-image';
            document.body.append(img);
            const script = document.createElement('script');
            script.textContent = 'window.script = true';
            document.body.append(script);
            return new Promise((resolve) => setTimeout(
                () => resolve({ handler: window.handler, script: window.script }), 300));
        }"""
    )
    assert outcome == {"handler": False, "script": False}
    assert len(blocked) >= 2
    pages.csp_violations.clear()  # expected ones


def test_sockets_and_dashboards_connect_under_the_policy(pages: Pages, person: Person) -> None:
    """``connect-src 'self'`` covers the same-origin WebSocket: a notification arrives live."""
    page = pages.open(person, "/notifications")
    person.api.notify("live under CSP")
    expect(page.get_by_text("live under CSP").first).to_be_visible()


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/docs", "#operations-auth-login_api_auth_login_post"),
        ("/redoc", "[data-section-id='tag/auth']"),
    ],
)
def test_the_api_reference_renders_offline_under_its_policy(
    browser: Browser, ui_server: Server, path: str, rendered: str
) -> None:
    """Issue 21: with every request but the server's cut, Swagger UI and ReDoc render the
    operations from the package's assets, and nothing violates their policy."""
    context = browser.new_context(base_url=ui_server.http)
    violations: list[str] = []
    context.on("console", lambda m: violations.append(m.text) if is_csp_violation(m) else None)
    outside: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(ui_server.http):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    try:
        page: Page = context.new_page()
        page.route("**/*", offline)
        response = page.goto(path)
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        expect(page.locator(rendered).first).to_be_visible(timeout=20_000)
        expect(page.get_by_text("/api/auth/login").first).to_be_attached()
        # ReDoc's bundle names its "by Redocly" logo on its CDN: refused by the policy (nothing
        # leaves the server's origin), the only violation, and nothing is missing without it.
        assert [v for v in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in v] == []
        assert outside == []
    finally:
        context.close()


def test_a_page_cannot_be_framed(browser: Browser, ui_server: Server) -> None:
    context = browser.new_context()
    violations: list[str] = []
    context.on("console", lambda m: violations.append(m.text) if is_csp_violation(m) else None)
    try:
        page = context.new_page()
        page.set_content(f'<iframe src="{ui_server.http}/login"></iframe>')
        page.wait_for_timeout(1000)
        assert any("frame-ancestors" in text for text in violations)
        assert page.frames[-1].get_by_label("Username").count() == 0
    finally:
        context.close()
