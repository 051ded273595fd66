"""The ``wakedock`` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock import __version__
from wakedock.audit.actions import AuditAction
from wakedock.audit.context import AuditActor
from wakedock.auth.models import User
from wakedock.auth.permissions import Permission, Role
from wakedock.errors import WakeDockError
from wakedock.notifications.states import ChannelKind
from wakedock.settings import Settings

app = typer.Typer(help="WakeDock: self-hosted notifications and dashboards.", no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens for scripts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
vapid_app = typer.Typer(help="Web push (VAPID) keys.", no_args_is_help=True)
app.add_typer(vapid_app, name="vapid")
secrets_app = typer.Typer(help="Encryption of stored secrets: keys and rotation.")
app.add_typer(secrets_app, name="secrets")

console = Console()
err_console = Console(stderr=True)
CLI_ACTOR = AuditActor.system("cli")
T = TypeVar("T")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise _fail(f"invalid settings: {exc}", 2) from None


def _run_db(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run ``work(session)`` against a migrated database, turning service errors into exits."""
    from wakedock.db import migrate
    from wakedock.db.engine import create_engine, create_sessionmaker

    migrate.upgrade(settings.resolved_database_url, keyring=settings.keyring)

    async def runner() -> T:
        engine = create_engine(settings.resolved_database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(runner())
    except WakeDockError as exc:
        raise _fail(exc.message, 1) from None


@app.command()
def version() -> None:
    """Print the WakeDock version."""
    console.print(__version__)


@app.command()
def migrate(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Change nothing: exit 0 when at the latest version, 3 when migrations are"
            " pending (listed), 4 when the database is newer than this WakeDock",
        ),
    ] = False,
) -> None:
    """Apply database migrations up to the latest version."""
    from wakedock.db import migrate as migrations

    settings = _settings()
    if check:
        from wakedock.ops import schema

        try:
            state = schema.status(settings.resolved_database_url)
        except Exception as exc:  # unreachable, wrong credentials, not a database
            raise _fail(
                f"cannot read the database's revision: {type(exc).__name__}: {exc}"
            ) from None
        current = ", ".join(state.current) or "none (no schema yet)"
        console.print(f"database at {current}; this version's head: {', '.join(state.heads)}")
        for revision in state.pending:
            console.print(f"pending: {revision}")
        for revision in state.unknown:
            err_console.print(f"[red]unknown revision (newer WakeDock?):[/red] {revision}")
        if state.up_to_date:
            console.print("database is up to date")
        raise typer.Exit(state.exit_code)
    migrations.upgrade(settings.resolved_database_url, keyring=settings.keyring)
    console.print("database is up to date")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="The archive to write (.tar.gz)")],
    force: Annotated[bool, typer.Option(help="Replace FILE if it exists")] = False,
) -> None:
    """Back up the database (SQLite, while serving) and the data dir's keys into one archive."""
    from wakedock.ops.backup import BackupError
    from wakedock.ops.backup import backup as run_backup

    try:
        report = run_backup(_settings(), file, overwrite=force)
    except BackupError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"wrote {report.path}: {', '.join(report.files) or 'no files'}"
        f" ({report.backend}, revision {report.revision or 'none'})"
    )
    for note in report.notes:
        err_console.print(f"[yellow]note:[/yellow] {note}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="An archive made by `wakedock backup`")],
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="The new data dir (must not exist or be empty)")
    ],
) -> None:
    """Restore a backup into a new data dir, checking every file against the manifest."""
    from wakedock.ops.backup import BackupError
    from wakedock.ops.restore import restore as run_restore

    try:
        report = run_restore(file, data_dir)
    except BackupError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"restored {', '.join(report.files)} into {report.data_dir}"
        f" ({report.backend}, revision {report.revision or 'none'})"
    )
    for note in report.notes:
        err_console.print(f"[yellow]note:[/yellow] {note}")
    console.print(
        f"start it with WAKEDOCK_DATA_DIR={report.data_dir} (and no WAKEDOCK_DATABASE_URL for"
        " SQLite); `wakedock serve` applies any newer migrations"
    )


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default WAKEDOCK_HOST)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default WAKEDOCK_PORT)", min=1, max=65535)
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes", min=1, max=64)] = 1,
) -> None:
    """Apply migrations, then serve the API, the WebSocket and the web UI."""
    import uvicorn

    from wakedock.db import migrate as migrations
    from wakedock.log import configure_logging
    from wakedock.vault.keys import KeyringError

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if workers > 1 and not settings.redis_url:
        # Without a shared broker each process fans out only to its own sockets: a client
        # would miss what another process created (seen: 3 of 8 arrived live with 4 workers).
        raise _fail(
            f"--workers {workers} needs a shared broker, or clients miss live notifications "
            "created in another process. Set WAKEDOCK_REDIS_URL (e.g. redis://127.0.0.1:6379/0) "
            "or run one worker.",
            2,
        )
    try:
        settings.keyring.keys()  # create the keys once, before workers race for them
    except KeyringError as exc:
        raise _fail(str(exc), 2) from None
    migrations.upgrade(settings.resolved_database_url, keyring=settings.keyring)
    _ = settings.resolved_secret_key  # create the key once, before workers race for it
    uvicorn.run(
        "wakedock.main:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        # X-Forwarded-For / -Proto believed from these peers only (the client becomes the
        # right-most address not in the list); Uvicorn's FORWARDED_ALLOW_IPS is not read.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies,
        ws_max_size=64 * 1024,
        # Compression costs a zlib context per socket (most of its memory) for small JSON frames.
        ws_per_message_deflate=False,
        # Liveness is the protocol's own heartbeat (clients ping; the hub's one timer reaps
        # silent sockets): no protocol-level ping timer per socket.
        ws_ping_interval=None,
        ws=settings.ws_implementation,
        # After SIGTERM, connections still open this long are cancelled (see wakedock.shutdown).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


@user_app.command("create")
def user_create(
    username: str,
    email: Annotated[str, typer.Option(help="E-mail address")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[Role, typer.Option(help="Role")] = Role.USER,
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "UTC",
) -> None:
    """Create a user."""
    from wakedock.auth import service
    from wakedock.auth.schemas import UserCreate

    try:
        data = UserCreate(
            username=username, email=email, password=password, roles=[role], timezone=timezone
        )
    except ValidationError as exc:
        raise _fail(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), 2
        ) from None
    settings = _settings()
    user = _run_db(
        settings,
        lambda s: service.create(
            s,
            actor=CLI_ACTOR,
            username=data.username,
            email=str(data.email),
            password=data.password,
            roles=data.roles,
            timezone=data.timezone,
        ),
    )
    console.print(f"created user [bold]{user.username}[/bold] (id {user.id}, role {role.value})")


@user_app.command("list")
def user_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List users."""
    from wakedock.auth import service
    from wakedock.cli.output import print_json, print_rows

    users = _run_db(_settings(), lambda s: service.list_users(s, limit=10_000))
    if json_output:
        print_json(
            {
                "items": [
                    {
                        "id": u.id,
                        "username": u.username,
                        "email": u.email,
                        "roles": list(u.roles),
                        "is_active": u.is_active,
                        "timezone": u.timezone,
                        "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                    }
                    for u in users
                ]
            }
        )
        return
    print_rows(
        ["id", "username", "email", "roles", "active", "timezone", "last login"],
        [
            [u.id, u.username, u.email, u.roles, u.is_active, u.timezone, u.last_login_at]
            for u in users
        ],
    )


async def _get_user(session: AsyncSession, username: str) -> User:
    from wakedock.auth import service

    user = await service.get_by_username(session, username=username)
    if user is None:
        raise WakeDockError(f"no user named {username!r}")
    return user


def _update_user(username: str, **changes: Any) -> None:
    from wakedock.auth import service
    from wakedock.broker import create_broker

    settings = _settings()

    async def work(session: AsyncSession) -> None:
        user = await _get_user(session, username)
        if settings.redis_url is None:  # no broker reaches the server: its periodic check acts
            await service.update(session, actor=CLI_ACTOR, user=user, **changes)
            return
        # With Redis, the running servers hear of it (their sockets close) at once.
        async with create_broker(settings.redis_url).lifespan() as broker:
            await service.update(session, actor=CLI_ACTOR, user=user, broker=broker, **changes)

    _run_db(settings, work)


@user_app.command("set-password")
def user_set_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a user's password (ends their sessions)."""
    from wakedock.auth.passwords import MIN_PASSWORD_LENGTH

    if len(password) < MIN_PASSWORD_LENGTH:
        raise _fail(f"password must have at least {MIN_PASSWORD_LENGTH} characters", 2)

    _update_user(username, password=password)
    console.print(f"password of {username} changed")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: they cannot log in and their tokens stop working at once."""
    _update_user(username, is_active=False)
    console.print(f"user {username} disabled")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled user again."""
    _update_user(username, is_active=True)
    console.print(f"user {username} enabled")


@user_app.command("set-role")
def user_set_role(
    username: str,
    role: Annotated[
        list[Role], typer.Argument(help="The role(s) the user gets (replacing theirs)")
    ],
) -> None:
    """Set a user's roles (their open sockets are checked again at once)."""
    _update_user(username, roles=list(dict.fromkeys(role)))
    console.print(f"{username} now has role(s) {', '.join(r.value for r in role)}")


@user_app.command("delete")
def user_delete(
    username: str,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete a user with their tokens, sessions and notifications."""
    from wakedock.auth import service
    from wakedock.broker import create_broker

    if not yes:
        typer.confirm(f"delete user {username} and all their data?", abort=True)
    settings = _settings()

    async def work(session: AsyncSession) -> None:
        user = await _get_user(session, username)
        async with create_broker(settings.redis_url).lifespan() as broker:
            await service.delete(session, actor=CLI_ACTOR, user=user, broker=broker)

    _run_db(settings, work)
    console.print(f"user {username} deleted")


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option(help="A name to recognise the token by")] = "cli",
    scope: Annotated[
        list[Permission] | None, typer.Option(help="Limit to these permissions (repeatable)")
    ] = None,
    expires: Annotated[
        datetime | None, typer.Option(help="Expiry (ISO 8601, UTC if no offset)")
    ] = None,
) -> None:
    """Create a long-lived API token for USERNAME and print it (shown only once)."""
    from datetime import UTC

    from wakedock.auth import api_tokens

    expires_at = expires.replace(tzinfo=UTC) if expires and expires.tzinfo is None else expires

    async def work(session: AsyncSession) -> str:
        user = await _get_user(session, username)
        _, plain = await api_tokens.create(
            session,
            actor=CLI_ACTOR,
            user_id=user.id,
            roles=user.roles,
            name=name,
            scopes=scope,
            expires_at=expires_at,
        )
        return plain

    plain = _run_db(_settings(), work)
    print(plain)


@token_app.command("list")
def token_list(
    username: str,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List USERNAME's API tokens (never the tokens themselves)."""
    from wakedock.auth import api_tokens
    from wakedock.cli.output import print_json, print_rows

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        user = await _get_user(session, username)
        return [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t in await api_tokens.list_for_user(session, user_id=user.id)
        ]

    tokens = _run_db(_settings(), work)
    if json_output:
        print_json({"items": tokens})
        return
    columns = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at"]
    print_rows(columns, [[t[c] for c in columns] for t in tokens])


@token_app.command("revoke")
def token_revoke(username: str, token_id: int) -> None:
    """Revoke one of USERNAME's API tokens by id (`wakedock token list` shows them)."""
    from wakedock.auth import api_tokens
    from wakedock.broker import create_broker

    settings = _settings()

    async def work(session: AsyncSession) -> None:
        user = await _get_user(session, username)
        async with create_broker(settings.redis_url).lifespan() as broker:
            await api_tokens.delete(
                session, actor=CLI_ACTOR, user_id=user.id, token_id=token_id, broker=broker
            )

    _run_db(settings, work)
    console.print(f"token {token_id} revoked")


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Process what is due, then exit")] = False,
) -> None:
    """Run the delivery worker alone (set WAKEDOCK_REDIS_URL so live events reach every server)."""
    from wakedock.broker import create_broker
    from wakedock.clock import Clock
    from wakedock.db import migrate as migrations
    from wakedock.db.engine import create_engine, create_sessionmaker
    from wakedock.log import configure_logging
    from wakedock.notifications.delivery.worker import DeliveryWorker
    from wakedock.shutdown import run_worker

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    migrations.upgrade(settings.resolved_database_url, keyring=settings.keyring)

    async def run() -> int:
        engine = create_engine(settings.resolved_database_url)
        broker = create_broker(settings.redis_url)
        try:
            async with broker.lifespan():
                delivery = DeliveryWorker(
                    sessionmaker=create_sessionmaker(engine),
                    settings=settings,
                    broker=broker,
                    clock=Clock(),
                )
                if burst:
                    done = await delivery.drain(max_rounds=10_000)
                    await delivery.maintenance()
                    return done
                await run_worker(delivery, settings.shutdown_grace_seconds)
                return 0
        finally:
            await engine.dispose()

    done = asyncio.run(run())
    if burst:
        console.print(f"processed {done} deliveries")


@vapid_app.command("generate")
def vapid_generate(
    subject: Annotated[
        str | None, typer.Option(help="mailto: or https: contact for push services")
    ] = None,
    save: Annotated[bool, typer.Option(help="Store as the active web push channel")] = True,
) -> None:
    """Generate a VAPID key pair for web push and (by default) make it the active channel."""
    from sqlalchemy import select

    from wakedock.notifications.channels.webpush import generate_vapid_keys
    from wakedock.notifications.models import NotificationChannel
    from wakedock.vault.sealing import seal_fields

    settings = _settings()
    public, private = generate_vapid_keys()
    contact = subject or f"mailto:{settings.admin_email}"
    if not contact.startswith(("mailto:", "https://")):
        raise _fail("--subject must start with mailto: or https://", 2)
    if save:

        async def work(session: AsyncSession) -> None:
            from wakedock.audit import service as audit

            row = (
                await session.scalars(
                    select(NotificationChannel)
                    .where(NotificationChannel.type == ChannelKind.WEBPUSH)
                    .order_by(NotificationChannel.id)
                )
            ).first()
            config = seal_fields(
                settings.keyring,
                {"vapid_public_key": public, "vapid_private_key": private, "subject": contact},
                ["vapid_private_key"],
            )
            if row is None:
                row = NotificationChannel(name="webpush", type=ChannelKind.WEBPUSH, config=config)
                session.add(row)
            else:
                row.config = config
            await session.flush()
            audit.record(
                session,
                actor=CLI_ACTOR,
                action=AuditAction.CHANNEL_VAPID_GENERATE,
                resource_type="notification_channel",
                resource_id=row.id,
            )
            await session.commit()

        _run_db(settings, work)
        console.print("stored as the web push channel; browsers must subscribe again")
    print(f"public key: {public}")
    if not save:
        print(f"private key: {private}")


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a fresh encryption key (for WAKEDOCK_ENCRYPTION_KEYS)."""
    from wakedock.vault.keys import new_key

    print(new_key())


def _secrets_report(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from wakedock.vault.keys import KeyringError

    try:
        settings.keyring.keys()
    except KeyringError as exc:
        raise _fail(str(exc), 2) from None
    return _run_db(settings, work)


@secrets_app.command("check")
def secrets_check() -> None:
    """Count stored secrets; fail when one cannot be decrypted or needs an older key."""
    from wakedock.vault import stored

    settings = _settings()
    report = _secrets_report(settings, lambda s: stored.check(s, settings.keyring))
    keys = len(settings.keyring.keys())
    console.print(
        f"{report.sealed} sealed, {report.plaintext} plaintext, {report.stale} under an older"
        f" key, {len(report.unreadable)} unreadable; {keys} key(s) from {settings.keyring.source}"
    )
    for label in report.unreadable:
        err_console.print(f"[red]unreadable:[/red] {label}")
    if report.unreadable or report.plaintext:
        raise typer.Exit(1)


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Make a new primary key (keys file) and re-encrypt every stored secret with it.

    With WAKEDOCK_ENCRYPTION_KEYS, put the new key (`wakedock secrets new-key`) first in the
    setting yourself, restart, then run this to re-encrypt under it.
    """
    from wakedock.vault import stored
    from wakedock.vault.keys import new_key, replace_keys_file

    settings = _settings()
    keyring = settings.keyring
    _secrets_report(settings, lambda s: stored.check(s, keyring))  # keys usable, db migrated
    if keyring.path is not None:
        replace_keys_file(keyring.path, [new_key(), *keyring.keys()])
        console.print(f"new primary key added to {keyring.path}")
    report = _run_db(settings, lambda s: stored.reseal_all(s, keyring))
    console.print(f"{report.resealed} secret value(s) re-encrypted with the primary key")
    for label in report.unreadable:
        err_console.print(f"[red]unreadable, left as it is:[/red] {label}")
    if report.unreadable:
        raise typer.Exit(1)


@secrets_app.command("retire")
def secrets_retire() -> None:
    """Drop every key but the primary from the keys file, once no stored secret needs one."""
    from wakedock.vault import stored
    from wakedock.vault.keys import replace_keys_file

    settings = _settings()
    keyring = settings.keyring
    report = _secrets_report(settings, lambda s: stored.check(s, keyring))
    if report.unreadable or report.stale or report.plaintext:
        raise _fail(
            f"{report.stale + report.plaintext} secret(s) not yet under the primary key and"
            f" {len(report.unreadable)} unreadable: run `wakedock secrets rotate` first"
        )
    keys = keyring.keys()
    if keyring.path is None:
        console.print(
            f"every stored secret opens with the first key of {keyring.source}:"
            " the others can be removed from the setting"
        )
        return
    replace_keys_file(keyring.path, keys[:1])
    console.print(f"{len(keys) - 1} older key(s) removed from {keyring.path}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
