"""The Profile page (issue 21): account, password, sessions and API tokens, at a desktop and a
phone size, with no sideways scroll and no serious accessibility violation (axe-core)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Pages, Person, login

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp") / "wakedock-profile-shots"  # looked at by hand; never committed


def fits_the_width(page: Page) -> None:
    """Nothing of the Profile page reaches past the viewport's right edge, nor scrolls
    sideways inside it. (The app shell's header is the responsive layout's, checked by its own
    route sweep.)"""
    wide = page.evaluate(
        """() => [...document.querySelectorAll('section.page, section.page *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                || e.scrollWidth > e.clientWidth + 1
                   && getComputedStyle(e).overflowX !== 'visible')
            .map(e => `${e.tagName}.${e.className}`)"""
    )
    assert wide == [], wide


def serious_violations(page: Page) -> list[str]:
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) still holds.
    page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, { resultTypes: ['violations'] });
            return r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }"""
    )
    return list(result)


def test_profile_edits_the_account_password_sessions_and_tokens(
    pages: Pages, person: Person
) -> None:
    page = pages.open(person)
    page.get_by_role("button", name=person.username, exact=True).click()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})

    # Account: a home-network address is accepted; a malformed one is refused at the field.
    email = page.get_by_label("E-mail")
    email.fill("me@")
    page.get_by_role("button", name="Save account").click()
    expect(page.locator(".field-error").first).to_be_visible()
    email.fill(f"{person.username}@nas.local")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Save account").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    me = person.api.get("/api/auth/me").json()
    assert (me["email"], me["timezone"]) == (f"{person.username}@nas.local", "Europe/Paris")

    # Sessions: another browser's login shows (beside the test's API login); "sign out other
    # sessions" ends both.
    other = pages.context().new_page()
    login(other, person)
    page.reload()
    sessions = page.get_by_role("region", name="Active sessions")
    expect(sessions.get_by_role("listitem")).to_have_count(3)
    expect(sessions.get_by_text("This session")).to_have_count(1)
    sessions.get_by_role("button", name="Sign out other sessions").click()
    expect(sessions.get_by_text("2 other sessions were signed out.")).to_be_visible()
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    other.reload()
    expect(other.get_by_label("Username")).to_be_visible()  # back at the login screen

    # API token: created with a scope, shown once, then revoked.
    tokens = page.get_by_role("region", name="API tokens")
    tokens.get_by_label("Token name").fill("backup script")
    tokens.get_by_label("notifications:read").check()
    tokens.get_by_role("button", name="Create token").click()
    shown = tokens.get_by_label("The new token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    assert token.startswith("wdk_")
    listed = tokens.get_by_role("list", name="Your API tokens")
    expect(listed.get_by_text("notifications:read")).to_be_visible()
    tokens.get_by_role("button", name="Done").click()
    expect(page.get_by_text(token)).to_have_count(0)
    tokens.get_by_role("button", name="Revoke backup script").click()
    expect(tokens.get_by_text("No API tokens yet.")).to_be_visible()

    # Password: the present one is checked by the server; then the new one logs in.
    password = page.get_by_role("form", name="Password")
    password.get_by_label("Current password").fill("not-my-password")
    password.get_by_label("New password", exact=True).fill("a-brand-new-password")
    password.get_by_label("New password again").fill("a-brand-new-password")
    password.get_by_role("button", name="Change password").click()
    expect(password.get_by_text("current_password is wrong")).to_be_visible()
    password.get_by_label("Current password").fill(person.password)
    password.get_by_role("button", name="Change password").click()
    expect(password.get_by_role("status")).to_contain_text("Password changed")
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()  # still in
    fits_the_width(page)


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_profile_fits_the_screen_and_passes_axe(
    pages: Pages, person: Person, size: tuple[int, int]
) -> None:
    page = pages.open(person, "/profile")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    sessions = page.get_by_role("region", name="Active sessions")
    expect(sessions.get_by_role("listitem")).to_have_count(2)  # this page's and the API's
    fits_the_width(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"profile-{size[0]}.png"), full_page=True)
    if not AXE.is_file():
        pytest.skip(f"axe-core not installed ({AXE}): the accessibility check did not run")
    violations = serious_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
