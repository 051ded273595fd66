"""seal stored secrets: channel and data source secret fields become enc:v1 Fernet tokens

Revision ID: 0005_sealed_secrets
Revises: 0004_live_stream_seq
Create Date: 2026-12-04 22:40:00

No schema change: the secret fields inside ``notification_channels.config`` and
``widget_data_sources.config`` are sealed in place with the primary encryption key (see
``wakedock.vault``). The keys come from the caller (``wakedock migrate``/``serve`` pass
``settings.keyring``) or, for ``alembic`` run by hand, from the settings in the environment;
they are only read when a plaintext secret exists, so a new database needs none. The secret
fields are listed here as they were at this revision, so later channel types do not change
what this migration did. Downgrading opens them again (the keys must still fit).
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from wakedock.vault.keys import Keyring
from wakedock.vault.sealing import reseal_fields, unseal_fields

revision: str = "0005_sealed_secrets"
down_revision: str | Sequence[str] | None = "0004_live_stream_seq"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRETS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "notification_channels": (
        "type",
        {
            "email": ("password",),
            "webhook": ("secret",),
            "webpush": ("vapid_private_key",),
            "apprise": ("url",),
        },
    ),
    "widget_data_sources": ("kind", {"http_json": ("headers",), "prometheus": ("headers",)}),
}


def _keyring() -> Keyring:
    """The caller's keyring, else the one the settings in the environment give."""
    ring: Keyring | None = context.config.attributes.get("keyring")
    if ring is None:
        from wakedock.settings import Settings

        ring = Settings().keyring
    return ring


Change = Callable[[Keyring, dict[str, Any], tuple[str, ...]], dict[str, Any] | None]


def _each_row(change: Change) -> None:
    """Apply ``change`` to every row holding a secret; the keys are read only for those."""
    bind = op.get_bind()
    keyring: Keyring | None = None
    for name, (kind_column, fields_by_kind) in SECRETS.items():
        table = sa.table(
            name,
            sa.column("id", sa.BigInteger),
            sa.column(kind_column, sa.String),
            sa.column("config", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
        )
        rows = bind.execute(sa.select(table.c.id, table.c[kind_column], table.c.config)).all()
        for row_id, kind, config in rows:
            fields = fields_by_kind.get(kind, ())
            if not isinstance(config, dict) or not any(config.get(f) for f in fields):
                continue
            keyring = keyring or _keyring()
            new = change(keyring, config, fields)
            if new is not None:
                bind.execute(table.update().where(table.c.id == row_id).values(config=new))


def upgrade() -> None:
    def seal(
        keyring: Keyring, config: dict[str, Any], fields: tuple[str, ...]
    ) -> dict[str, Any] | None:
        new, changed = reseal_fields(keyring, config, fields)
        return new if changed else None

    _each_row(seal)


def downgrade() -> None:
    def open_(
        keyring: Keyring, config: dict[str, Any], fields: tuple[str, ...]
    ) -> dict[str, Any] | None:
        new = unseal_fields(keyring, config, fields)
        return new if new != config else None

    _each_row(open_)
