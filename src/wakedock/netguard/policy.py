"""Which addresses WakeDock may connect to: the pure policy of the outbound guard (no I/O).

Invariant: an outbound connection goes to a globally reachable unicast address, or to one inside
``WAKEDOCK_ALLOWED_NETWORKS``, or the guard is off (``WAKEDOCK_ALLOW_PRIVATE_TARGETS``). The
check is made on the *address* — every spelling of a host (``2130706433``, ``0x7f.1``,
``[::ffff:127.0.0.1]``, ``[::7f00:1]``, ``localhost.``, ``fe80::1%eth0``) ends up as one
``ipaddress`` value first — and IPv6 addresses that carry an IPv4 address (mapped,
IPv4-compatible, NAT64, 6to4, Teredo) are judged by the IPv4 address they reach.

Why not ``ipaddress``'s ``is_global`` alone: its answer depends on the Python patch release
(3.11.7 calls ``::7f00:1``, ``64:ff9b::7f00:1``, ``fec0::1``, ``ff02::1`` and ``192.0.0.8``
global), so the refused ranges are listed here from the IANA special-purpose registries and
``is_global`` is only a second opinion. IPv6 must also lie in 2000::/3, the global unicast range.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IANA IPv4 special-purpose registry: nothing here is a public server.
_REFUSED_V4: tuple[ipaddress.IPv4Network, ...] = tuple(
    _V4(n)
    for n in (
        "0.0.0.0/8",  # "this network", 0.0.0.0 reaches the local host
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
    )
)
_GLOBAL_UNICAST_V6 = _V6("2000::/3")
_REFUSED_V6: tuple[ipaddress.IPv6Network, ...] = tuple(
    _V6(n)
    for n in (
        "2001::/23",  # IETF protocol assignments, Teredo 2001::/32 among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)
_IPV4_COMPATIBLE = _V6("::/96")  # ::a.b.c.d, deprecated by RFC 4291
_NAT64 = _V6("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits are the IPv4 target
_NAT64_LOCAL = _V6("64:ff9b:1::/48")  # RFC 8215 local-use translation: never public
_SIX_TO_FOUR = _V6("2002::/16")


class TargetRefused(PermissionError):
    """An outbound connection the guard does not allow (a permanent failure, never retried)."""

    def __init__(self, host: str, address: str | None, reason: str) -> None:
        if address is None:
            target = repr(host)
        elif address == host:
            target = f"non-public address {address}"
        else:
            target = f"non-public address {address} for {host!r}"
        super().__init__(
            f"refusing to connect to {target}: {reason} (allow it with WAKEDOCK_ALLOWED_NETWORKS)"
        )
        self.host = host
        self.address = address
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NetPolicy:
    """Where outbound connections may go: everywhere (guard off), or public addresses plus the
    ``allowed`` networks."""

    allow_all: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, *, allow_all: bool, allowed: Iterable[str] = ()) -> NetPolicy:
        return cls(allow_all, tuple(ipaddress.ip_network(n, strict=False) for n in allowed))

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused, or ``None`` when it may be connected to."""
        if self.allow_all or self._listed(address):
            return None
        return non_global_reason(address)

    def check(self, host: str, address: str) -> None:
        """Raise ``TargetRefused`` unless ``address`` (what ``host`` resolved to) is allowed."""
        reason = self.refusal(parse_address(address))
        if reason is not None:
            raise TargetRefused(host, address, reason)

    def check_literal(self, host: str) -> None:
        """Refuse a host that is an address literal (in any spelling) or ``localhost``; names
        are checked when they are resolved."""
        if self.allow_all:
            return
        bare = host.rstrip(".").lower()
        if bare == "localhost" or bare.endswith(".localhost"):
            if not any(self._listed(a) for a in _LOOPBACK):
                raise TargetRefused(host, None, "localhost is the loopback interface")
            return
        literal = parse_literal(host)
        if literal is not None:
            reason = self.refusal(literal)
            if reason is not None:
                raise TargetRefused(host, str(literal), reason)

    def _listed(self, address: IPAddress) -> bool:
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return any(address in n or (mapped is not None and mapped in n) for n in self.allowed)


_LOOPBACK = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))


def parse_address(text: str) -> IPAddress:
    """An address as the socket layer reports it (zone id allowed: ``fe80::1%eth0``)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def parse_literal(host: str) -> IPAddress | None:
    """The address a host *names* when it is a literal in any spelling ``getaddrinfo`` accepts
    (brackets, zone ids, a trailing dot, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``),
    else ``None`` (a DNS name)."""
    bare = host.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    bare = bare.split("%", 1)[0].rstrip(".")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if bare and all(c in "0123456789abcdefxABCDEFX." for c in bare):
        try:  # the BSD inet_aton spellings glibc's resolver also accepts
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def non_global_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address, or ``None`` when it is one."""
    if isinstance(address, ipaddress.IPv4Address):
        return _v4_reason(address)
    if address.ipv4_mapped is not None:
        return _embedded(address.ipv4_mapped, "IPv4-mapped")
    if address.is_loopback:
        return "a loopback address"
    if address in _IPV4_COMPATIBLE:
        return "an IPv4-compatible or unspecified IPv6 address"
    if address in _NAT64:
        return _embedded(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64")
    if address in _NAT64_LOCAL:
        return "a local-use NAT64 address"
    if address.sixtofour is not None:
        return _embedded(address.sixtofour, "6to4")
    if address.teredo is not None:
        server, client = address.teredo
        return _embedded(client, "Teredo") or _embedded(server, "Teredo") or "a Teredo address"
    if address not in _GLOBAL_UNICAST_V6:
        return _v6_kind(address)
    if any(address in n for n in _REFUSED_V6) or not address.is_global:
        return "a reserved IPv6 address"
    return None


def _v4_reason(address: ipaddress.IPv4Address) -> str | None:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in n for n in _REFUSED_V4) or not address.is_global:
        return "a private or reserved address"
    return None


def _embedded(inner: ipaddress.IPv4Address, kind: str) -> str | None:
    reason = _v4_reason(inner)
    return None if reason is None else f"{kind} form of {inner}, {reason}"


def _v6_kind(address: ipaddress.IPv6Address) -> str:
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_site_local or address.is_private:
        return "a private address"
    return "not a global unicast address"
