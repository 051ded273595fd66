"""The Connected apps page against a real server: an application created in the page, its
Apprise URL copied from the page and handed to the real Apprise library, whose message shows
as a toast; an ntfy access token created in the page publishes with httpx and through
Apprise's ntfy:// URL from the page until it is revoked (then 401); both at a phone's and a
desktop's size."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import apprise
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.realtime.conftest import Server, new_user
from tests.web.conftest import Person, login, screenshot
from tests.web.test_notifications_ui import toast, wait_live
from tests.web.test_responsive import VIEWPORTS, check, new_context


@pytest.fixture
def page(browser: Browser, ui_server: Server) -> Iterator[Page]:
    """An operator's page (may publish) in a profile that lets axe-core in and reads the
    clipboard."""
    context = new_context(browser, ui_server, VIEWPORTS["desktop"])
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        opened = context.new_page()
        login(opened, Person(new_user(ui_server.http, "operator")))
        yield opened
    finally:
        context.close()


def looked_at(page: Page, name: str) -> None:
    for size, viewport in (("phone", VIEWPORTS["phone"]), ("desktop", VIEWPORTS["desktop"])):
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        check(page, f"{name} at {size}")
        screenshot(page, name if size == "desktop" else f"{name}-phone")


def copied(page: Page, scope: str, label: str) -> str:
    """Click a copy button of the panel named `scope`; what reached the clipboard."""
    panel = page.get_by_role("status", name=scope)
    panel.get_by_role("button", name=f"Copy {label}", exact=True).click()
    expect(panel.get_by_role("button", name=f"Copied {label}", exact=True)).to_be_visible()
    text: str = page.evaluate("() => navigator.clipboard.readText()")
    expect(panel.get_by_role("region", name=label, exact=True)).to_have_text(text)
    return text


def test_gotify_application_from_the_page_feeds_apprise_to_a_toast(
    page: Page, ui_server: Server
) -> None:
    name = f"Backups {uuid.uuid4().hex[:6]}"
    page.goto("/connected-apps")
    expect(page.get_by_role("heading", name="Connected apps")).to_be_visible()
    wait_live(page)
    form = page.get_by_role("form", name="New Gotify application")
    form.get_by_label("Application name").fill(name)
    form.get_by_label("Default priority").fill("11")
    form.get_by_role("button", name="Create application").click()
    expect(form.get_by_role("alert")).to_be_visible()  # the server's message for the field
    form.get_by_label("Default priority").fill("8")
    form.get_by_role("button", name="Create application").click()

    scope = f"Application {name} created"
    url = copied(page, scope, "Apprise URL")
    host = ui_server.http.removeprefix("http://")
    assert url.startswith(f"gotify://{host}/wdk_"), url
    token = copied(page, scope, "Application token")
    assert url == f"gotify://{host}/{token}"
    looked_at(page, "connected-apps-created")

    title = f"Apprise says {uuid.uuid4().hex[:6]}"
    sender = apprise.Apprise()
    assert sender.add(url)
    assert sender.notify(title=title, body="the nightly backup finished")
    expect(toast(page, title)).to_be_visible()
    expect(toast(page, title)).to_contain_text("the nightly backup finished")

    page.get_by_role("status", name=scope).get_by_role("button", name="Done").click()
    row = (
        page.get_by_role("table", name="Gotify applications")
        .get_by_role("row")
        .filter(has_text=name)
    )
    expect(row).to_contain_text("you")
    row.get_by_role("button", name=f"Delete {name}").click()
    page.get_by_role("dialog", name=f"Delete the application {name}?").get_by_role(
        "button", name="Delete application"
    ).click()
    expect(row).to_have_count(0)
    assert not sender.notify(title="after", body="refused")
    refused = httpx.post(
        f"{ui_server.http}/message", json={"message": "x"}, headers={"X-Gotify-Key": token}
    )
    assert refused.status_code == 401


def test_ntfy_token_from_the_page_publishes_until_revoked(page: Page, ui_server: Server) -> None:
    name = f"nas-{uuid.uuid4().hex[:6]}"
    topic = f"backups_{uuid.uuid4().hex[:6]}"
    page.goto("/connected-apps")
    form = page.get_by_role("form", name="New ntfy access token")
    form.get_by_label("Token name").fill(name)
    form.get_by_label("Topic for the examples").fill(topic)
    form.get_by_role("button", name="Create access token").click()

    scope = f"Access token {name} created"
    token = copied(page, scope, "Access token")
    assert token.startswith("wdk_")
    host = ui_server.http.removeprefix("http://")
    apprise_url = copied(page, scope, "Apprise URL")
    assert apprise_url == f"ntfy://{token}@{host}/{topic}?auth=token"
    curl = page.get_by_role("status", name=scope).get_by_role("region", name="curl (publish)")
    expect(curl).to_contain_text(f"{ui_server.http}/{topic}")

    headers = {"Authorization": f"Bearer {token}"}
    # Subscribing first (a poll) subscribes the token's owner to the topic.
    polled = httpx.get(f"{ui_server.http}/{topic}/json", params={"poll": "1"}, headers=headers)
    assert polled.status_code == 200, polled.text
    published = httpx.post(
        f"{ui_server.http}/{topic}", content="done", headers={**headers, "Title": "Backup"}
    )
    assert published.status_code == 200, published.text
    assert published.json()["topic"] == topic
    expect(toast(page, "Backup")).to_be_visible()
    # Apprise's ntfy plugin with the URL from the page.
    title = f"ntfy via Apprise {uuid.uuid4().hex[:6]}"
    sender = apprise.Apprise()
    assert sender.add(apprise_url)
    assert sender.notify(title=title, body="from apprise")
    expect(toast(page, title)).to_be_visible()

    page.get_by_role("status", name=scope).get_by_role("button", name="Done").click()
    row = (
        page.get_by_role("table", name="ntfy access tokens")
        .get_by_role("row")
        .filter(has_text=name)
    )
    expect(row).to_contain_text("publish, subscribe")
    looked_at(page, "connected-apps")
    row.get_by_role("button", name=f"Revoke {name}").click()
    page.get_by_role("dialog", name=f"Revoke the access token {name}?").get_by_role(
        "button", name="Revoke token"
    ).click()
    expect(row).to_have_count(0)
    refused = httpx.post(f"{ui_server.http}/{topic}", content="again", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["http"] == 401


def test_gotify_client_token_and_application_rename(page: Page, ui_server: Server) -> None:
    """A client token made in the page reads with Gotify's API (shown once, with the set-up
    lines); an application renamed in its edit dialog keeps its token, with the new default
    priority. axe-core finds nothing at either size, the edit dialog open too."""
    suffix = uuid.uuid4().hex[:6]
    page.goto("/connected-apps")
    wait_live(page)
    # A client token.
    form = page.get_by_role("form", name="New Gotify client")
    form.get_by_label("Client name").fill(f"laptop {suffix}")
    form.get_by_role("button", name="Create client token").click()
    scope = f"Client laptop {suffix} created"
    token = copied(page, scope, "Client token")
    assert token.startswith("wdk_")
    setup = copied(page, scope, "Clients that take a token (desktop, scripts)")
    assert setup == f"Server URL: {ui_server.http}\nClient token: {token}"
    android = page.get_by_role("status", name=scope).get_by_role(
        "region", name="Gotify Android app"
    )
    expect(android).to_contain_text(f"Gotify URL: {ui_server.http}")
    me = httpx.get(f"{ui_server.http}/current/user", headers={"X-Gotify-Key": token})
    assert me.status_code == 200, me.text
    looked_at(page, "connected-apps-client")
    page.get_by_role("status", name=scope).get_by_role("button", name="Done").click()
    expect(page.get_by_role("status", name=scope)).to_have_count(0)  # shown once
    clients = page.get_by_role("table", name="Gotify clients")
    expect(clients.get_by_role("row").filter(has_text=f"laptop {suffix}")).to_have_count(1)
    expect(clients).not_to_contain_text(token)

    # An application, renamed.
    name, renamed = f"Sonarr {suffix}", f"Radarr {suffix}"
    form = page.get_by_role("form", name="New Gotify application")
    form.get_by_label("Application name").fill(name)
    form.get_by_role("button", name="Create application").click()
    app_scope = f"Application {name} created"
    app_token = copied(page, app_scope, "Application token")
    page.get_by_role("status", name=app_scope).get_by_role("button", name="Done").click()
    apps = page.get_by_role("table", name="Gotify applications")
    apps.get_by_role("row").filter(has_text=name).get_by_role("button", name=f"Edit {name}").click()
    dialog = page.get_by_role("dialog", name=f"Edit the application {name}")
    expect(dialog.get_by_label("Application name")).to_have_value(name)
    dialog.get_by_label("Default priority").fill("11")
    dialog.get_by_role("button", name="Save application").click()
    expect(dialog.get_by_role("alert")).to_be_visible()  # the server's message, nothing saved
    dialog.get_by_label("Application name").fill(renamed)
    dialog.get_by_label("Description").fill("films")
    dialog.get_by_label("Default priority").fill("2")
    for size, viewport in (("phone", VIEWPORTS["phone"]), ("desktop", VIEWPORTS["desktop"])):
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        check(page, f"edit dialog at {size}", overlay="dialog")
        screenshot(
            page, "connected-apps-edit" if size == "desktop" else "connected-apps-edit-phone"
        )
    dialog.get_by_role("button", name="Save application").click()
    expect(dialog).to_have_count(0)
    row = apps.get_by_role("row").filter(has_text=renamed)
    expect(row).to_contain_text("films")
    expect(row).to_contain_text("2")
    expect(apps.get_by_role("row").filter(has_text=name)).to_have_count(0)
    looked_at(page, "connected-apps-renamed")  # before a message's toast fades in
    sent = httpx.post(
        f"{ui_server.http}/message", json={"message": "x"}, headers={"X-Gotify-Key": app_token}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["priority"] == 2
