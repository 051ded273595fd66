"""The ``wakedock`` command.

Two kinds of commands share it (docs/cli.md):

- client commands (``login``, ``logout``, ``send``, ``listen``, ``notifications``,
  ``--version``) talk to a WakeDock server over HTTP and its WebSocket with the credentials
  ``wakedock login`` stored (or ``WAKEDOCK_URL`` / ``WAKEDOCK_TOKEN``). They live in
  ``remote*.py`` and import nothing of the server: ``main`` runs them without loading
  ``server.py`` (checked by import-linter and ``tests/client/test_isolation.py``);
- server commands (``serve``, ``migrate``, ``worker``, ``user``, ``token``, ``vapid``,
  ``secrets``…) act on the local database and files, on the server's host (``server.py``).
"""

from __future__ import annotations

import sys
from typing import Any

CLIENT_COMMANDS = frozenset({"login", "logout", "send", "listen", "notifications"})


def _first_command(args: list[str]) -> str | None:
    return next((arg for arg in args if not arg.startswith("-")), None)


def full_app() -> Any:
    """Every command: the server's, with the client commands registered on it (for help)."""
    from wakedock.cli import remote, server

    if not getattr(server.app, "_wakedock_client_commands", False):
        remote.register(server.app)
        server.app._wakedock_client_commands = True  # type: ignore[attr-defined]
    return server.app


def main() -> None:
    args = sys.argv[1:]
    command = _first_command(args)
    if command in CLIENT_COMMANDS or (command is None and "--version" in args):
        from wakedock.cli.remote import client_app

        target = client_app
    else:
        target = full_app()
    try:
        target(prog_name="wakedock")
    except KeyboardInterrupt:
        sys.exit(130)


def __getattr__(name: str) -> Any:
    # ``from wakedock.cli import app``: the full command tree, loaded on demand.
    if name == "app":
        return full_app()
    raise AttributeError(name)
