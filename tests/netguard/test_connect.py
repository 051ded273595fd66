"""The guard at connect time, against real listeners on loopback: httpx clients (webhooks, push,
data sources), the SMTP socket, and the audit-hook scope blocking libraries run in (Apprise).

Every case asserts the listener was not even connected to, not only that the call failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import subprocess
import sys
import syslog
import threading
from urllib.request import urlopen

import httpx
import pytest
import requests

from tests.netguard.listener import listening
from wakedock.netguard import NetPolicy, TargetRefused
from wakedock.netguard import http as guarded_http
from wakedock.netguard.resolve import open_socket, resolve
from wakedock.netguard.threads import run_guarded

GUARD_ON = NetPolicy()
ONLY_127_0_0_2 = NetPolicy.build(allow_all=False, allowed=["127.0.0.2/32"])


def loopback_name() -> str:
    """A name other than ``localhost`` that the system resolves to loopback (the host name)."""
    name = socket.gethostname()
    try:
        if socket.gethostbyname(name).startswith("127."):
            return name
    except OSError:
        pass
    pytest.skip("the host name does not resolve to a loopback address here")


@pytest.mark.parametrize(
    "spelling",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "127.0.0.1.",
        "localhost",
        "localhost.",
        "[::ffff:127.0.0.1]",
        "[::7f00:1]",
        "[::1]",
    ],
)
async def test_httpx_client_refuses_loopback_in_every_spelling(spelling: str) -> None:
    with listening("127.0.0.1") as target:
        async with guarded_http.client(GUARD_ON, timeout=5) as client:
            # httpx itself rejects some spellings (0177.0.0.1): no connection either way.
            with pytest.raises((TargetRefused, httpx.InvalidURL)):
                await client.post(f"http://{spelling}:{target.port}/hook", content=b"{}")
    assert target.connections == 0


async def test_httpx_client_checks_the_resolved_address_of_a_name() -> None:
    name = loopback_name()
    with listening("127.0.0.1") as target:
        async with guarded_http.client(GUARD_ON, timeout=5) as client:
            with pytest.raises(TargetRefused, match=r"non-public address 127\.0\.0\.1 for"):
                await client.get(f"http://{name}:{target.port}/")
        # Allowed: the connection goes to the checked address, and the request still names the
        # host (Host header, and SNI/certificate checks for https).
        allowed = NetPolicy.build(allow_all=False, allowed=["127.0.0.0/8"])
        async with guarded_http.client(allowed, timeout=5) as client:
            response = await client.get(f"http://{name}:{target.port}/ok")
    assert response.status_code == 200
    assert target.connections == 1
    assert target.paths == ["/ok"]


async def test_httpx_client_follows_no_redirect_and_ignores_proxy_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        listening("127.0.0.1") as inner,
        listening("127.0.0.2") as proxy,
        listening(
            "127.0.0.2", answer=lambda _m, _p: (302, {"Location": f"{inner.base}/x"}, b"")
        ) as outer,
    ):
        for variable in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(variable, proxy.base)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with guarded_http.client(ONLY_127_0_0_2, timeout=5) as client:
            response = await client.get(f"{outer.base}/start")
    assert response.status_code == 302  # handed back, not followed
    assert outer.paths == ["/start"]
    assert proxy.connections == 0
    assert inner.connections == 0


async def test_httpx_client_with_the_guard_off_reaches_loopback() -> None:
    with listening("127.0.0.1") as target:
        async with guarded_http.client(NetPolicy(allow_all=True), timeout=5) as client:
            assert (await client.get(f"http://localhost:{target.port}/")).status_code == 200
    assert target.connections == 1


async def test_smtp_socket_is_connected_to_the_checked_address() -> None:
    with listening("127.0.0.2") as allowed, listening("127.0.0.1") as refused:
        with pytest.raises(TargetRefused):
            await open_socket("127.0.0.1", refused.port, ONLY_127_0_0_2)
        with pytest.raises(TargetRefused):
            await open_socket("0x7f.1", refused.port, ONLY_127_0_0_2)
        sock = await open_socket("127.0.0.2", allowed.port, ONLY_127_0_0_2)
        try:
            assert sock.getpeername() == ("127.0.0.2", allowed.port)
        finally:
            sock.close()
        await asyncio.sleep(0.05)
    assert refused.connections == 0
    assert allowed.connections == 1


async def test_a_name_with_any_refused_address_is_refused() -> None:
    name = loopback_name()
    with pytest.raises(TargetRefused):
        await resolve(name, 80, GUARD_ON)
    assert await resolve("127.0.0.2", 80, ONLY_127_0_0_2) == ["127.0.0.2"]


async def test_blocking_code_in_a_guarded_scope_cannot_connect_to_loopback() -> None:
    """What Apprise's plugins do (requests, smtplib, urllib, raw sockets), refused at connect."""
    name = loopback_name()
    with listening("127.0.0.1") as target:
        url = f"{target.base}/x"
        calls = [
            lambda: requests.get(url, timeout=5),
            lambda: requests.get(f"http://{name}:{target.port}/x", timeout=5),
            lambda: urlopen(url, timeout=5),  # noqa: S310
            lambda: socket.create_connection(("127.0.0.1", target.port), timeout=5),
            lambda: socket.create_connection(("localhost", target.port), timeout=5),
            lambda: smtplib.SMTP("127.0.0.1", target.port, timeout=5),
            lambda: socket.create_connection(("::ffff:127.0.0.1", target.port), timeout=5),
        ]
        for call in calls:
            with pytest.raises(TargetRefused):
                await run_guarded(GUARD_ON, call)
    assert target.connections == 0


async def test_a_redirect_to_loopback_is_refused_at_its_connect() -> None:
    """The first hop is allowed (127.0.0.2 is listed), the 302 to 127.0.0.1 is not: requests
    follows redirects by itself, the guard stops the second connect."""
    with (
        listening("127.0.0.1") as inner,
        listening(
            "127.0.0.2", answer=lambda _m, _p: (302, {"Location": f"{inner.base}/x"}, b"")
        ) as outer,
    ):
        with pytest.raises(TargetRefused, match=r"127\.0\.0\.1"):
            await run_guarded(
                ONLY_127_0_0_2, lambda: requests.get(f"{outer.base}/start", timeout=5)
            )
        ok = await run_guarded(
            ONLY_127_0_0_2,
            lambda: requests.get(f"{outer.base}/start", timeout=5, allow_redirects=False),
        )
    assert ok.status_code == 302
    assert outer.paths == ["/start", "/start"]
    assert inner.connections == 0


async def test_udp_syslog_and_processes_are_refused_in_a_scope() -> None:
    received: list[bytes] = []
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.3)
    port = udp.getsockname()[1]

    def send_udp() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"hello", ("127.0.0.1", port))

    try:
        for call in (
            send_udp,
            lambda: syslog.syslog("wakedock guard test"),
            lambda: subprocess.run([sys.executable, "-c", "pass"], check=False),
        ):
            with pytest.raises(TargetRefused):
                await run_guarded(GUARD_ON, call)
        with contextlib.suppress(TimeoutError):
            received.append(udp.recv(100))
    finally:
        udp.close()
    assert received == []


async def test_the_scope_does_not_leak_to_other_threads_or_tasks() -> None:
    """Only the guarded call is checked: the rest of the process (database and Redis clients on
    loopback, other requests) connects as before, even while a guarded call runs."""
    with listening("127.0.0.1") as target:
        started, release = threading.Event(), threading.Event()

        def guarded() -> None:
            started.set()
            release.wait(5)
            socket.create_connection(("127.0.0.1", target.port), timeout=5).close()

        pending = asyncio.ensure_future(run_guarded(GUARD_ON, guarded))
        await asyncio.to_thread(started.wait, 5)
        socket.create_connection(("127.0.0.1", target.port), timeout=5).close()  # this thread
        await asyncio.to_thread(
            lambda: socket.create_connection(("127.0.0.1", target.port), timeout=5).close()
        )
        async with httpx.AsyncClient() as plain:
            assert (await plain.get(f"{target.base}/")).status_code == 200
        release.set()
        with pytest.raises(TargetRefused):
            await pending
        await asyncio.sleep(0.05)
    assert target.connections == 3
