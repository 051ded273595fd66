"""Resolve a host and check every address it names before anything connects to it.

Invariant: callers connect to one of the *returned addresses*, never to the name again, so the
answer that was checked is the answer that is used (a DNS name that flips to 127.0.0.1 between
a check and a connect — DNS rebinding — has nothing to flip). A name with any refused address is
refused as a whole: a public address next to a private one is how rebinding attacks start.
"""

from __future__ import annotations

import asyncio
import socket

from wakedock.netguard.policy import NetPolicy, TargetRefused


async def resolve(host: str, port: int, policy: NetPolicy) -> list[str]:
    """The addresses ``host`` resolves to (IPv4 and IPv6, resolver order), each allowed by
    ``policy``. ``TargetRefused`` for a refused one, ``OSError`` when the name does not resolve."""
    policy.check_literal(host)
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    infos = await asyncio.get_running_loop().getaddrinfo(bare, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(host, None, "it resolves to no address")
    for address in addresses:
        policy.check(host, address)
    return addresses


async def open_socket(host: str, port: int, policy: NetPolicy) -> socket.socket:
    """A non-blocking TCP socket connected to an allowed address of ``host`` (tried in resolver
    order). Use it with a library that takes a connected socket and the name for TLS."""
    addresses = await resolve(host, port, policy)
    error: OSError = OSError(f"cannot connect to {host!r}")
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise error
