"""The server's commands (``serve``, ``worker``, ``migrate``, ``backup``…), and the command tree:
``user``/``token`` in ``accounts.py``, ``vapid``/``secrets`` in ``keys.py``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from wakedock import __version__
from wakedock.cli.accounts import token_app, user_app
from wakedock.cli.common import claim_database, console, err_console, fail, load_settings
from wakedock.cli.keys import secrets_app, vapid_app
from wakedock.settings import Settings

app = typer.Typer(help="WakeDock: self-hosted notifications and dashboards.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(vapid_app, name="vapid")
app.add_typer(secrets_app, name="secrets")


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

    settings = load_settings()
    if check:
        from wakedock.ops import schema

        try:
            state = schema.status(settings.resolved_database_url)
        except Exception as exc:  # unreachable, wrong credentials, not a database
            raise fail(
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
        report = run_backup(load_settings(), file, overwrite=force)
    except BackupError as exc:
        raise fail(str(exc)) from None
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
        raise fail(str(exc)) from None
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
    from wakedock.db import migrate as migrations
    from wakedock.log import configure_logging
    from wakedock.vault.keys import KeyringError

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    if workers > 1 and not settings.redis_url:
        # Without a shared broker each process fans out only to its own sockets: a client
        # would miss what another process created (seen: 3 of 8 arrived live with 4 workers).
        raise fail(
            f"--workers {workers} needs a shared broker, or clients miss live notifications "
            "created in another process. Set WAKEDOCK_REDIS_URL (e.g. redis://127.0.0.1:6379/0) "
            "or run one worker.",
            2,
        )
    try:
        settings.keyring.keys()  # create the keys once, before workers race for them
    except KeyringError as exc:
        raise fail(str(exc), 2) from None
    # One process without a shared broker: a second one on this database is refused (exit 2).
    claim = claim_database(settings, "wakedock serve")
    migrations.upgrade(settings.resolved_database_url, keyring=settings.keyring)
    _ = settings.resolved_secret_key  # create the key once, before workers race for it
    try:
        _serve(settings, host=host, port=port, workers=workers)
    finally:
        if claim is not None:
            claim.release()


def _serve(settings: Settings, *, host: str | None, port: int | None, workers: int) -> None:
    import uvicorn

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

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # It publishes live events (a notification quiet hours released): without a shared broker
    # a server beside it would never see them, so the same claim as `serve`.
    claim = claim_database(settings, "wakedock worker")
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

    try:
        done = asyncio.run(run())
    finally:
        if claim is not None:
            claim.release()
    if burst:
        console.print(f"processed {done} deliveries")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
