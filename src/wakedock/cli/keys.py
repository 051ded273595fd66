"""``wakedock vapid …`` and ``wakedock secrets …``: the web push keys, and the keys that seal
stored secrets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.audit.actions import AuditAction
from wakedock.cli.common import CLI_ACTOR, T, console, err_console, fail, load_settings, run_db
from wakedock.notifications.states import ChannelKind
from wakedock.settings import Settings

vapid_app = typer.Typer(help="Web push (VAPID) keys.", no_args_is_help=True)
secrets_app = typer.Typer(help="Encryption of stored secrets: keys and rotation.")


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

    settings = load_settings()
    public, private = generate_vapid_keys()
    contact = subject or f"mailto:{settings.admin_email}"
    if not contact.startswith(("mailto:", "https://")):
        raise fail("--subject must start with mailto: or https://", 2)
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

        run_db(settings, work)
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
        raise fail(str(exc), 2) from None
    return run_db(settings, work)


@secrets_app.command("check")
def secrets_check() -> None:
    """Count stored secrets; fail when one cannot be decrypted or needs an older key."""
    from wakedock.vault import stored

    settings = load_settings()
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

    settings = load_settings()
    keyring = settings.keyring
    _secrets_report(settings, lambda s: stored.check(s, keyring))  # keys usable, db migrated
    if keyring.path is not None:
        replace_keys_file(keyring.path, [new_key(), *keyring.keys()])
        console.print(f"new primary key added to {keyring.path}")
    report = run_db(settings, lambda s: stored.reseal_all(s, keyring))
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

    settings = load_settings()
    keyring = settings.keyring
    report = _secrets_report(settings, lambda s: stored.check(s, keyring))
    if report.unreadable or report.stale or report.plaintext:
        raise fail(
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
