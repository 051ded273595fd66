"""Guard blocking libraries we do not control (Apprise: requests, smtplib, raw sockets) at the
moment they connect, from inside the interpreter.

``run_guarded(policy, fn)`` runs ``fn`` in a worker thread inside a *guarded scope* (a context
variable). A process-wide audit hook (``sys.addaudithook``, installed once, on first use) sees
every ``socket.connect``/``sendto``/``sendmsg`` the interpreter makes; inside a guarded scope it
checks the address with the same ``NetPolicy`` as every other outbound call and raises
``TargetRefused`` to stop the call. Whatever the library does — a redirect to 127.0.0.1, a
second host it learnt from an API answer, a name that re-resolved to a private address — the
connect itself is what is checked. Non-IP sockets (Unix), local syslog and starting processes
are refused in a scope too.

Why a context variable and not a thread-local: Apprise hands work to its own thread pools, and
it copies the context into each (``contextvars.copy_context().run``), so the scope follows the
work. A thread started with a bare ``threading.Thread`` starts with an empty context and would
escape; in the installed Apprise only the XMPP plugin does that, and it is not loadable without
its optional dependency (``slixmpp``). Outside a scope the hook returns at once: one string
comparison per audited event.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from wakedock.netguard.policy import NetPolicy, TargetRefused, parse_literal

T = TypeVar("T")

_NETWORK_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_LOCAL_EVENTS = frozenset({"syslog.openlog", "syslog.syslog", "subprocess.Popen", "os.system"})
_EVENTS = _NETWORK_EVENTS | _LOCAL_EVENTS


@dataclass(slots=True)
class _Scope:
    policy: NetPolicy
    refused: list[TargetRefused] = field(default_factory=list)


_SCOPE: ContextVar[_Scope | None] = ContextVar("wakedock_netguard_scope", default=None)
_install_lock = threading.Lock()
_installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _EVENTS:
        return
    scope = _SCOPE.get()
    if scope is None:
        return
    try:
        if event in _LOCAL_EVENTS:
            raise TargetRefused(event, None, "only network targets are allowed")
        _check(scope.policy, args[0], args[1])
    except TargetRefused as exc:
        scope.refused.append(exc)
        raise


def _check(policy: NetPolicy, sock: socket.socket, address: Any) -> None:
    if address is None:  # sendmsg on a connected socket: its connect was checked
        return
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        raise TargetRefused(str(address), None, "only TCP/UDP over IP is allowed")
    host = str(address[0])
    policy.check_literal(host)  # literals in any spelling, and localhost
    if parse_literal(host) is None:
        # socket.connect(("name", port)) resolves inside the call: check every answer first.
        try:
            infos = socket.getaddrinfo(host, address[1], sock.family)
        except OSError:
            raise TargetRefused(host, None, "it does not resolve") from None
        for info in infos:
            policy.check(host, str(info[4][0]))


def install() -> None:
    """Add the audit hook once per process (audit hooks cannot be removed)."""
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


async def run_guarded(policy: NetPolicy, fn: Callable[[], T]) -> T:
    """Run blocking ``fn`` in a worker thread where every connection it (or a thread pool it
    copies its context into) makes is checked; raise the first ``TargetRefused`` after it
    returns, whatever ``fn`` made of the refusal."""
    if policy.allow_all:
        return await asyncio.to_thread(fn)
    install()
    scope = _Scope(policy)

    def scoped() -> T:
        _SCOPE.set(scope)  # in the worker's copy of the context only
        return fn()

    try:
        result = await asyncio.to_thread(scoped)
    except TargetRefused:
        raise
    except Exception:
        if scope.refused:
            raise scope.refused[0] from None
        raise
    if scope.refused:
        raise scope.refused[0]
    return result
