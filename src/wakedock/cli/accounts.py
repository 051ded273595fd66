"""``wakedock user …`` and ``wakedock token …``: accounts and API tokens, on the local database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.auth.models import User
from wakedock.auth.permissions import Permission, Role
from wakedock.cli.common import CLI_ACTOR, console, fail, load_settings, run_db
from wakedock.errors import WakeDockError

user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens for scripts.", no_args_is_help=True)


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
        raise fail(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), 2
        ) from None
    settings = load_settings()
    user = run_db(
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

    users = run_db(load_settings(), lambda s: service.list_users(s, limit=10_000))
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

    settings = load_settings()

    async def work(session: AsyncSession) -> None:
        user = await _get_user(session, username)
        if settings.redis_url is None:  # no broker reaches the server: its periodic check acts
            await service.update(session, actor=CLI_ACTOR, user=user, **changes)
            return
        # With Redis, the running servers hear of it (their sockets close) at once.
        async with create_broker(settings.redis_url).lifespan() as broker:
            await service.update(session, actor=CLI_ACTOR, user=user, broker=broker, **changes)

    run_db(settings, work)


@user_app.command("set-password")
def user_set_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a user's password (ends their sessions)."""
    from wakedock.auth.passwords import MIN_PASSWORD_LENGTH

    if len(password) < MIN_PASSWORD_LENGTH:
        raise fail(f"password must have at least {MIN_PASSWORD_LENGTH} characters", 2)

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
    settings = load_settings()

    async def work(session: AsyncSession) -> None:
        user = await _get_user(session, username)
        async with create_broker(settings.redis_url).lifespan() as broker:
            await service.delete(session, actor=CLI_ACTOR, user=user, broker=broker)

    run_db(settings, work)
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

    plain = run_db(load_settings(), work)
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

    tokens = run_db(load_settings(), work)
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

    settings = load_settings()

    async def work(session: AsyncSession) -> None:
        user = await _get_user(session, username)
        async with create_broker(settings.redis_url).lifespan() as broker:
            await api_tokens.delete(
                session, actor=CLI_ACTOR, user_id=user.id, token_id=token_id, broker=broker
            )

    run_db(settings, work)
    console.print(f"token {token_id} revoked")
