"""A server restart during use, as a user sees it: the page says "Reconnecting…" while the
server is away (it closed the socket with 1012 on SIGTERM), then shows what was created
meanwhile, without a reload.

What is "created meanwhile" comes from a second process on the same data dir: its live events
never reach the first process, so the page can only get them by resuming with ``since``."""

from __future__ import annotations

from dataclasses import replace

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import free_port
from tests.realtime.conftest import Server, new_user, server_env
from tests.web.conftest import Pages, Person, _unavailable
from tests.web.test_notifications_ui import center_item, unique, wait_live
from wakedock.web.spa import PACKAGED_DIST

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_restart_shows_reconnecting_then_the_missed_notifications(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if not (PACKAGED_DIST / "index.html").is_file():
        _unavailable("web UI not built: run `make web`")
    tmp = tmp_path_factory.mktemp("restart-ui")
    env = server_env(tmp, WAKEDOCK_HEARTBEAT_INTERVAL_SECONDS="10")
    served = Server(port=free_port(), env=env, log=tmp / "served.log").start()
    # Another process on the same database, to create notifications while the first is away:
    # started only once the first has stopped (without Redis a second process is refused).
    other = Server(port=free_port(), env=env, log=tmp / "other.log")
    pages = Pages(browser, served.http)
    try:
        person = Person(new_user(served.http))
        page = pages.open(person, "/notifications")
        wait_live(page)

        served.stop()  # SIGTERM: sockets closed with 1012, then the process exits
        expect(page.locator("#bell-connection")).to_have_text("Reconnecting…")
        other.start()
        through_other = replace(person.api, base=other.http)
        missed = [through_other.notify(unique("While restarting"))["title"] for _ in range(2)]
        other.stop()

        served.start()
        expect(page.locator("#bell-connection")).to_have_text("Live", timeout=60_000)
        for title in missed:
            expect(center_item(page, title)).to_be_visible()
    finally:
        pages.close()
        other.stop()
        served.stop()
    assert not pages.csp_violations, "\n".join(pages.csp_violations)
