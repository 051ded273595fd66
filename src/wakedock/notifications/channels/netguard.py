"""SSRF guard: outgoing requests only go to public addresses unless the admin allows others."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from wakedock.errors import ValidationFailed
from wakedock.notifications.channels.base import DeliveryError


def check_url_syntax(url: str, *, field: str, schemes: tuple[str, ...] = ("http", "https")) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationFailed(
            f"{field} must be an absolute {' or '.join(schemes)} URL", field=f"body.{field}"
        )


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def ensure_public_host(host: str, port: int | None, *, allow_private: bool) -> None:
    """Resolve ``host``; refuse (permanently) when any address is loopback, private,
    link-local or reserved, unless ``allow_private``."""
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port or 443, type=socket.SOCK_STREAM
        )
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc.strerror}") from None
    addresses = {info[4][0] for info in infos}
    blocked = sorted(a for a in addresses if not _is_public(str(a)))
    if blocked:
        raise DeliveryError(
            f"refusing to connect to non-public address {blocked[0]} for {host} "
            "(set WAKEDOCK_ALLOW_PRIVATE_TARGETS=true to allow)",
            permanent=True,
        )


async def ensure_public_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if not parts.hostname:
        raise DeliveryError(f"invalid URL {url!r}", permanent=True)
    await ensure_public_host(parts.hostname, parts.port, allow_private=allow_private)
