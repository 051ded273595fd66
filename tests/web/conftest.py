"""Browser tests: Debian's Chromium driven by Playwright against a real ``wakedock serve``.

Needs the built UI (``make web``; ``make test`` builds it first) and ``/usr/bin/chromium``
(``.ci/run`` installs it with apt-get). Playwright never downloads a browser here. Without
either, the tests skip with the reason, and fail instead under WAKEDOCK_TEST_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.conftest import REQUIRE_SERVICES, free_port
from tests.realtime.conftest import Api, Server, admin, new_user, server_env
from wakedock.web.spa import PACKAGED_DIST

CHROMIUM = os.environ.get("WAKEDOCK_TEST_CHROMIUM", "/usr/bin/chromium")
# `make screenshots` sets this to docs/screenshots; plain test runs leave the tree untouched.
SCREENSHOTS = os.environ.get("WAKEDOCK_TEST_SCREENSHOTS_DIR")
# The flags the machine's Chromium needs headless as root on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (WAKEDOCK_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the browser tests, serving the built UI (tests use their own users)."""
    if not (PACKAGED_DIST / "index.html").is_file():
        _unavailable("web UI not built: run `make web`")
    tmp = tmp_path_factory.mktemp("ui")
    srv = Server(
        port=free_port(),
        env=server_env(tmp, WAKEDOCK_HEARTBEAT_INTERVAL_SECONDS="10"),
        log=tmp / "server.log",
    ).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).is_file():
        _unavailable(f"{CHROMIUM} not found: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Person:
    """A user of the UI: their API handle (for setting things up) and credentials."""

    api: Api

    @property
    def username(self) -> str:
        return self.api.username

    @property
    def password(self) -> str:
        return self.api.password


@pytest.fixture
def person(ui_server: Server) -> Person:
    return Person(new_user(ui_server.http))


@pytest.fixture
def admin_person(ui_server: Server) -> Person:
    return Person(admin(ui_server.http))


def is_csp_violation(message: ConsoleMessage) -> bool:
    """Chromium reports what the Content-Security-Policy blocked on the console."""
    return "Content Security Policy" in message.text


class Pages:
    """Opens logged-in pages: ``pages.open(person)`` in a fresh browser profile, or
    ``pages.tab(page)`` for a second tab of the same profile (same login, shared storage).
    Every page's console is watched: a CSP violation fails the test (``pages`` fixture)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.csp_violations: list[str] = []

    def context(self) -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1280, "height": 860}
        )
        context.set_default_timeout(10_000)
        context.on(
            "console",
            lambda message: (
                self.csp_violations.append(message.text) if is_csp_violation(message) else None
            ),
        )
        self.contexts.append(context)
        return context

    def open(self, who: Person, path: str = "/") -> Page:
        page = self.context().new_page()
        login(page, who)
        if path != "/":
            page.goto(path)
        return page

    def tab(self, page: Page, path: str = "/") -> Page:
        second = page.context.new_page()
        second.goto(path)
        return second

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def login(page: Page, who: Person) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(who.username)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=who.username, exact=True)).to_be_visible()


@pytest.fixture
def pages(browser: Browser, ui_server: Server) -> Iterator[Pages]:
    opened = Pages(browser, ui_server.http)
    try:
        yield opened
    finally:
        opened.close()
    assert not opened.csp_violations, "\n".join(opened.csp_violations)


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot of a main screen for the README (docs/screenshots/NAME.png)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
