"""Login, logout, session refresh and the app shell, in a real browser."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import expect

from tests.realtime.conftest import Server
from tests.web.conftest import Pages, Person, login, screenshot


def test_login_rejects_a_wrong_password_then_signs_in(pages: Pages, person: Person) -> None:
    page = pages.context().new_page()
    page.goto("/notifications")
    expect(page).to_have_url(f"{pages.base_url}/login")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid")
    screenshot(page, "login")
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    # Back where the user was going, with the header on the page.
    expect(page).to_have_url(f"{pages.base_url}/notifications")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_logout_revokes_the_session_and_signs_out_every_tab(pages: Pages, person: Person) -> None:
    page = pages.open(person)
    other_tab = pages.tab(page)
    expect(other_tab.get_by_role("button", name=person.username, exact=True)).to_be_visible()
    stored = page.evaluate("localStorage.getItem('wakedock.session')")
    assert stored
    assert "accessToken" in stored
    page.get_by_role("button", name=person.username, exact=True).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(other_tab.get_by_role("button", name="Sign in")).to_be_visible()
    # The server revoked it too: the old access token no longer works.
    token = json.loads(stored)["accessToken"]
    answer = httpx.get(
        f"{pages.base_url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401


def test_an_expired_access_token_is_refreshed_transparently(pages: Pages, person: Person) -> None:
    page = pages.open(person)
    # Pretend the access token expired. Edit the store from a page of the same origin that runs
    # no app code, so no request of the live app refreshes in between.
    page.goto("/api/health")
    page.evaluate(
        """() => {
            const s = JSON.parse(localStorage.getItem('wakedock.session'));
            s.accessToken = 'expired.or.garbage';
            s.expiresAt = Date.now() - 1000;
            localStorage.setItem('wakedock.session', JSON.stringify(s));
        }"""
    )
    before = page.evaluate("JSON.parse(localStorage.getItem('wakedock.session')).refreshToken")
    page.goto("/")
    expect(page.get_by_role("button", name=person.username, exact=True)).to_be_visible()
    after = page.evaluate("JSON.parse(localStorage.getItem('wakedock.session'))")
    assert after["refreshToken"] != before
    assert after["accessToken"] != "expired.or.garbage"


def test_client_routes_fall_back_to_the_app_and_api_404s_stay_json(
    ui_server: Server, pages: Pages, person: Person
) -> None:
    page = pages.context().new_page()
    login(page, person)
    page.goto("/no/such/screen")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    api_missing = httpx.get(f"{ui_server.http}/api/no-such-thing")
    assert api_missing.status_code == 404
    assert api_missing.json()["error"]["code"] == "not_found"
    traversal = httpx.get(f"{ui_server.http}/assets/..%2F..%2F__init__.py")
    # Never a file outside the build: the answer is the app shell.
    assert '<div id="root">' in traversal.text
    assert httpx.get(f"{ui_server.http}/").headers["content-type"].startswith("text/html")
