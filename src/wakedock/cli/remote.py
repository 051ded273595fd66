"""Client commands: ``login``, ``logout``, ``send``, ``notifications`` (and ``listen``, in
remote_listen.py), over HTTP with ``wakedock.client``. Nothing of the server is imported.

Exit codes: 0 done; 1 the server refused (its message is printed) or could not be reached;
2 usage (bad options, not logged in).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer

from wakedock import __version__
from wakedock.cli import remote_config
from wakedock.cli.output import print_json, print_rows
from wakedock.client import Client
from wakedock.client.errors import ApiError, TransportError
from wakedock.client.models import Notification, NotificationType, Priority, Role

client_app = typer.Typer(
    help="WakeDock: self-hosted notifications and dashboards.", no_args_is_help=True
)
notifications_app = typer.Typer(help="Your notifications on the server.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _say(message: str) -> None:
    sys.stderr.write(f"{message}\n")


def fail(message: str, code: int = 1) -> NoReturn:
    _say(f"error: {message}")
    raise typer.Exit(code)


@contextmanager
def connected() -> Iterator[Client]:
    """A client with the stored (or environment) credentials; errors become exits."""
    try:
        creds = remote_config.credentials()
    except remote_config.NotLoggedIn as exc:
        fail(str(exc), 2)
    try:
        with Client(creds.url, creds.token) as client:
            yield client
    except ApiError as exc:
        fail(f"{exc.message} ({exc.code})")
    except TransportError as exc:
        fail(f"cannot reach {creds.url}: {exc}")


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """WakeDock: self-hosted notifications and dashboards."""


def login(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://wakedock.example")],
    token: Annotated[
        str | None, typer.Option(help="Use this API token instead of a username and password")
    ] = None,
    username: Annotated[str | None, typer.Option(help="Asked when not given")] = None,
) -> None:
    """Log in to a server and store it with an API token (mode 0600, in your config dir)."""
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        fail("URL must start with http:// or https://", 2)
    try:
        if token is None:
            name = username or typer.prompt("Username")
            password = typer.prompt("Password", hide_input=True)
            with Client(url) as anonymous:
                access = anonymous.login(name, password)
            with Client(url, access) as session:
                label = f"wakedock-cli {name}@{socket.gethostname()}"[:100]
                created = session.create_token(label)
                session.logout()  # the API token stays; the login session is not needed
            token, token_id, who = created.token, created.id, name
        else:
            with Client(url, token) as client:
                who, token_id = client.me().username, None
    except ApiError as exc:
        fail(f"{exc.message} ({exc.code})")
    except TransportError as exc:
        fail(f"cannot reach {url}: {exc}")
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if url.startswith("http://") and host not in ("localhost", "127.0.0.1", "::1"):
        _say("warning: http:// sends the token unencrypted; use https:// beyond this machine")
    path = remote_config.save_credentials(url, token, token_id)
    _say(f"logged in to {url} as {who}; credentials in {path}")


def logout() -> None:
    """Revoke the API token `wakedock login` created and forget the stored credentials."""
    data = remote_config.stored()
    token_id = data.get("token_id")
    if data.get("url") and data.get("token") and isinstance(token_id, int):
        try:
            with Client(data["url"], data["token"]) as client:
                client.revoke_token(token_id)
        except (ApiError, TransportError) as exc:
            _say(f"warning: the token could not be revoked on the server: {exc}")
    if remote_config.forget_credentials():
        _say("logged out")
    else:
        _say("not logged in")


def _variables(pairs: list[str]) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--var takes KEY=VALUE, not {pair!r}", 2)
        variables[key] = value
    return variables


def send(
    message: Annotated[
        str | None, typer.Argument(help="The message; - reads it from stdin", show_default=False)
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: from the message)")] = None,
    type: Annotated[NotificationType | None, typer.Option("--type", help="Type")] = None,
    priority: Annotated[Priority | None, typer.Option(help="Priority")] = None,
    url: Annotated[str | None, typer.Option(help="A link to open (action URL)")] = None,
    to: Annotated[list[str] | None, typer.Option(help="A user id or username (repeatable)")] = None,
    topic: Annotated[str | None, typer.Option(help="The subscribers of a topic")] = None,
    role: Annotated[Role | None, typer.Option(help="Everyone with a role (a broadcast)")] = None,
    template: Annotated[str | None, typer.Option(help="Render a stored template")] = None,
    var: Annotated[list[str] | None, typer.Option(help="Template variable KEY=VALUE")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Send at most once with this key (default: a fresh one)")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Send a notification (to yourself unless --to, --topic or --role); prints its id(s)."""
    if sum(1 for target in (to, topic, role) if target) > 1:
        fail("choose one of --to, --topic and --role", 2)
    if role and idempotency_key:
        fail("--idempotency-key cannot be used with --role (a broadcast)", 2)
    if message == "-":
        message = sys.stdin.read()
        if message.endswith("\n"):
            message = message[:-1]
    if message is None and template is None and title is None:
        fail("give a MESSAGE (or - for stdin), --title or --template", 2)
    variables = _variables(var or [])
    with connected() as client:
        result = client.send(
            message,
            title=title,
            type=type.value if type else None,
            priority=priority.value if priority else None,
            url=url,
            to=list(to) if to else None,
            topic=topic,
            role=role.value if role else None,
            template=template,
            variables=variables or None,
            idempotency_key=idempotency_key,
        )
    if json_output:
        print_json(result)
        return
    if result.broadcast is not None:
        print(f"broadcast {result.broadcast.broadcast_id} to {result.broadcast.recipients}")
    for notification in result.notifications:
        print(notification.id)


@notifications_app.command("list")
def notifications_list(
    unread: Annotated[bool, typer.Option(help="Unread ones only")] = False,
    limit: Annotated[int, typer.Option(help="How many (newest first)", min=1, max=10_000)] = 50,
    json_output: JsonOption = False,
) -> None:
    """List your notifications, newest first."""
    items: list[Notification] = []
    cursor: str | None = None
    with connected() as client:
        while len(items) < limit:
            page = client.list(
                limit=min(100, limit - len(items)), cursor=cursor, unread_only=unread
            )
            items.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    if json_output:
        print_json(items)
        return
    print_rows(
        ["id", "created", "read", "priority", "type", "topic", "title", "message"],
        [
            [n.id, n.created_at, n.read, n.priority, n.type, n.topic, n.title, n.message]
            for n in items
        ],
    )


def _each(ids: list[int], action: Callable[[Client, int], object], done: str) -> None:
    with connected() as client:
        for notification_id in ids:
            action(client, notification_id)
            print(f"{done} {notification_id}")


@notifications_app.command("show")
def notifications_show(notification_id: int, json_output: JsonOption = False) -> None:
    """Show one notification."""
    with connected() as client:
        n = client.get(notification_id)
    if json_output:
        print_json(n)
        return
    for key, value in n.model_dump().items():
        print(f"{key}\t{value if value is not None else '-'}")


@notifications_app.command("read")
def notifications_read(
    ids: Annotated[list[int] | None, typer.Argument(help="Notification ids")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Mark all of them read")] = False,
) -> None:
    """Mark notifications read."""
    if all_ == bool(ids):
        fail("give notification ids or --all", 2)
    if all_:
        with connected() as client:
            client.mark_all_read()
        print("all read")
        return
    _each(ids or [], Client.mark_read, "read")


@notifications_app.command("unread")
def notifications_unread(ids: list[int]) -> None:
    """Mark notifications unread."""
    _each(ids, Client.mark_unread, "unread")


@notifications_app.command("delete")
def notifications_delete(ids: list[int]) -> None:
    """Delete notifications."""
    _each(ids, Client.delete, "deleted")


def register(app: typer.Typer) -> None:
    """Add the client commands (and ``--version``) to ``app``."""
    from wakedock.cli.remote_listen import listen

    app.callback()(root)
    app.command()(login)
    app.command()(logout)
    app.command()(send)
    app.command()(listen)
    app.add_typer(notifications_app, name="notifications")


register(client_app)
