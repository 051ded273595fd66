"""httpx clients whose every TCP connection is checked at connect time.

``GuardedBackend`` wraps httpcore's anyio backend: ``connect_tcp`` resolves the host, refuses the
request when any address is not allowed, and connects to the checked address itself; TLS then
runs with the URL's host name (httpcore passes it as SNI and for certificate checks), so HTTPS
behaves as usual. Every client made here also follows no redirects (a 3xx is returned, not
chased), ignores ``HTTP(S)_PROXY``/``ALL_PROXY`` and ``.netrc`` (``trust_env=False``: a proxy
would connect where the guard cannot look), and refuses Unix sockets.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from functools import cache
from typing import Any

import anyio
import httpcore
import httpx

from wakedock.netguard.policy import NetPolicy, TargetRefused
from wakedock.netguard.resolve import resolve


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses ``policy`` allows."""

    def __init__(self, policy: NetPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.policy.allow_all:
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve(host, port, self.policy)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
        except TargetRefused:
            raise
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from None
        error: Exception = httpcore.ConnectError(f"cannot connect to {host!r}")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused(path, None, "Unix sockets are not outbound targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` on a ``GuardedBackend`` (no proxy, no Unix socket)."""

    def __init__(self, policy: NetPolicy) -> None:
        # The parent's __init__ only builds ``_pool``; build it here on the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=10,
            max_keepalive_connections=5,
            network_backend=GuardedBackend(policy),
        )


@cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi), built once: loading the CA bundle is slow."""
    return httpx.create_ssl_context(trust_env=False)


def client(policy: NetPolicy, *, timeout: float) -> httpx.AsyncClient:
    """A short-lived client for outbound calls: guarded connects, no redirects, no proxies.
    A refused target raises ``TargetRefused`` out of the request."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
