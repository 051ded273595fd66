"""Run Alembic migrations programmatically (used by the CLI and the tests).

Migration 0005 seals stored secrets, so it needs the app's encryption keys: callers pass
``settings.keyring``; without one (``alembic`` run by hand) the migration reads the settings
from the environment exactly as the app does, and only when there is a secret to seal.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from wakedock.vault.keys import Keyring

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, keyring: Keyring | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    if keyring is not None:
        config.attributes["keyring"] = keyring
    return config


def upgrade(database_url: str, revision: str = "heads", *, keyring: Keyring | None = None) -> None:
    command.upgrade(alembic_config(database_url, keyring), revision)


def downgrade(database_url: str, revision: str = "base", *, keyring: Keyring | None = None) -> None:
    command.downgrade(alembic_config(database_url, keyring), revision)
