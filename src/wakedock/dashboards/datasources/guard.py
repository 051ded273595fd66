"""Outbound HTTP for data sources: an SSRF guard, size and time limits, no redirects.

Targets must resolve to public addresses; loopback, private, link-local and other non-global
addresses are refused unless they fall inside ``WAKEDOCK_DASHBOARDS_ALLOWED_NETWORKS`` (or
``WAKEDOCK_ALLOW_PRIVATE_TARGETS`` turns the guard off for the whole deployment).
The check runs when a source is saved and again before every call (addresses can change).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from wakedock.dashboards.datasources.base import SourceError
from wakedock.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allowed(address: IPAddress, settings: Settings) -> bool:
    if settings.allow_private_targets:  # the deployment-wide "SSRF guard off" switch
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for network in settings.dashboards_allowed_networks:
        if address in ipaddress.ip_network(network, strict=False):
            return True
    return address.is_global and not address.is_multicast


def check_url_syntax(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL without credentials, or ``SourceError``."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SourceError("invalid_url", "The URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError("invalid_url", "The URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise SourceError("invalid_url", "Put credentials in headers, not in the URL")
    return parts.hostname, port


async def check_target(url: str, settings: Settings) -> None:
    """Refuse URLs whose host resolves to an address outside the allowed ones."""
    host, port = check_url_syntax(url)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise SourceError("dns_failed", f"Cannot resolve host {host!r}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    refused = [str(a) for a in addresses if not _allowed(a, settings)]
    if refused or not addresses:
        raise SourceError(
            "target_refused",
            f"Refusing to call {host!r}: it resolves to a loopback, private or reserved address",
            {"host": host},
        )


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """A status code and the decoded JSON body (``None`` when the body is not JSON)."""

    status: int
    document: Any


async def get_json(
    url: str,
    *,
    settings: Settings,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 (httpx's own per-phase timeouts)
) -> UpstreamAnswer:
    """GET a JSON document through the guard; transport failures are a ``SourceError``."""
    await check_target(url, settings)
    limit = settings.dashboards_upstream_max_bytes
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "GET",
                url,
                params=params,
                headers={"Accept": "application/json", **(headers or {})},
            ) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    raise SourceError(
                        "response_too_large", f"The upstream answer is larger than {limit} bytes"
                    )
    except httpx.TimeoutException:
        raise SourceError(
            "upstream_timeout", f"The upstream did not answer within {timeout:g}s"
        ) from None
    except httpx.HTTPError as exc:
        raise SourceError(
            "upstream_unreachable", f"Cannot reach the upstream ({type(exc).__name__})"
        ) from None
    if response.is_redirect:
        raise SourceError(
            "upstream_redirect",
            "The upstream answered with a redirect (redirects are not followed)",
        )
    try:
        document = json.loads(bytes(body))
    except ValueError:
        document = None
    return UpstreamAnswer(response.status_code, document)
