"""``wakedock listen``: new notifications live over the WebSocket, printed or handed to a
command, resuming from the last one handled (kept in the config dir) after a drop or a restart.

``--exec CMD`` runs CMD with ``/bin/sh -c`` once per notification, one at a time, in order.
The notification reaches it only through environment variables (``WAKEDOCK_ID``,
``WAKEDOCK_TITLE``, …): CMD is your fixed string, never one built from the message, so a
message cannot inject shell code (quote the variables: ``notify-send "$WAKEDOCK_TITLE"``).
The command does not get ``WAKEDOCK_TOKEN``.

Ctrl-C (SIGINT) ends it with exit code 130, SIGTERM with 0 (a service manager's stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Annotated

import typer

from wakedock.cli import remote_config
from wakedock.cli.remote import JsonOption, fail
from wakedock.client import AsyncClient
from wakedock.client.errors import ApiError
from wakedock.client.models import Notification

SHELL = "/bin/sh"


def exec_env(notification: Notification) -> dict[str, str]:
    """The environment of an ``--exec`` command: yours (less the token), and the fields."""
    env = {key: value for key, value in os.environ.items() if key != "WAKEDOCK_TOKEN"}
    fields = {
        "WAKEDOCK_ID": str(notification.id),
        "WAKEDOCK_TITLE": notification.title,
        "WAKEDOCK_MESSAGE": notification.message,
        "WAKEDOCK_TYPE": notification.type,
        "WAKEDOCK_PRIORITY": notification.priority,
        "WAKEDOCK_TOPIC": notification.topic or "",
        "WAKEDOCK_ACTION_URL": notification.action_url or "",
        "WAKEDOCK_SOURCE": notification.source or "",
        "WAKEDOCK_CREATED_AT": notification.created_at.isoformat(),
        "WAKEDOCK_JSON": notification.model_dump_json(),
    }
    # An environment value cannot hold NUL (the API refuses it anyway).
    env.update({key: value.replace("\0", "") for key, value in fields.items()})
    return env


def _line(notification: Notification) -> str:
    text = f"#{notification.id} [{notification.priority}] {notification.title}"
    if notification.message and notification.message != notification.title:
        text += f": {notification.message}"
    return " ".join(text.split("\n"))


async def _run(
    creds: remote_config.Credentials,
    topics: list[str],
    json_output: bool,
    command: str | None,
    since: int | None,
) -> None:
    def state(what: str) -> None:
        sys.stderr.write(f"wakedock: {what}\n")
        sys.stderr.flush()

    async with AsyncClient(creds.url, creds.token) as client:
        async for notification in client.listen(since=since, topics=topics, on_state=state):
            if json_output:
                sys.stdout.write(notification.model_dump_json() + "\n")
            elif command is None:
                sys.stdout.write(_line(notification) + "\n")
            sys.stdout.flush()
            if command is not None:
                process = await asyncio.create_subprocess_exec(
                    SHELL, "-c", command, env=exec_env(notification)
                )
                code = await process.wait()
                if code != 0:
                    state(f"--exec exited with {code} for notification {notification.id}")
            remote_config.save_last_seen(creds, notification.id)


def listen(
    topic: Annotated[
        list[str] | None, typer.Option(help="Only notifications of this topic (repeatable)")
    ] = None,
    json_output: JsonOption = False,
    exec_: Annotated[
        str | None,
        typer.Option("--exec", help="Run this (with /bin/sh -c) per notification; fields in env"),
    ] = None,
    since: Annotated[
        int | None,
        typer.Option(help="Start after this notification id (default: where it stopped last)"),
    ] = None,
) -> None:
    """Print (or --exec a command for) each new notification, live; resumes where it stopped."""
    try:
        creds = remote_config.credentials()
    except remote_config.NotLoggedIn as exc:
        fail(str(exc), 2)
    if exec_ is not None and not os.path.exists(SHELL):
        fail(f"--exec needs {SHELL}", 2)
    start = since if since is not None else remote_config.last_seen(creds)
    exit_code = 0

    async def main() -> None:
        nonlocal exit_code
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        def stop(code: int) -> None:
            nonlocal exit_code
            exit_code = code
            task.cancel()

        loop.add_signal_handler(signal.SIGINT, stop, 130)
        loop.add_signal_handler(signal.SIGTERM, stop, 0)
        with contextlib.suppress(asyncio.CancelledError):
            await _run(creds, topic or [], json_output, exec_, start)

    try:
        asyncio.run(main())
    except ApiError as exc:
        fail(f"{exc.message} ({exc.code})")
    except KeyboardInterrupt:
        exit_code = 130
    raise typer.Exit(exit_code)


__all__ = ["exec_env", "listen"]
