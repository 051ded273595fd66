"""The UI and the API reference in Chromium under their Content-Security-Policy (finding 17 of
issue 17). Every browser test also fails on any CSP violation (``pages`` in conftest): the
whole UI is exercised under the policy; these check the policy is in force and what it stops."""

from __future__ import annotations

import json

from playwright.sync_api import Browser, Page, Route, expect

from tests.realtime.conftest import Server
from tests.web.conftest import Pages, Person, is_csp_violation

# Stands in for Swagger UI's bundle (the CDN is out of reach here): records that the page's
# inline start-up script ran, and with what.
SWAGGER_STUB = """
window.SwaggerUIBundle = function (config) { document.body.dataset.started = config.url; };
SwaggerUIBundle.presets = { apis: {} };
SwaggerUIBundle.SwaggerUIStandalonePreset = {};
"""


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


def test_the_api_reference_runs_its_inline_script_under_its_policy(
    browser: Browser, ui_server: Server
) -> None:
    context = browser.new_context(base_url=ui_server.http)
    violations: list[str] = []
    context.on("console", lambda m: violations.append(m.text) if is_csp_violation(m) else None)

    def cdn(route: Route) -> None:
        if route.request.url.endswith("swagger-ui-bundle.js"):
            route.fulfill(body=SWAGGER_STUB, content_type="application/javascript")
        else:
            route.abort()

    try:
        page: Page = context.new_page()
        page.route("https://**/*", cdn)
        response = page.goto("/docs")
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        expect(page.locator("body")).to_have_attribute("data-started", "/openapi.json")
        assert violations == []
        # The OpenAPI document the page loads is fetched same-origin.
        schema = json.loads(page.request.get("/openapi.json").text())
        assert schema["info"]["title"] == "WakeDock"
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
