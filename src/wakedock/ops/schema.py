"""Where a database stands against this version's migrations: `wakedock migrate --check`.

It reads, never writes: a missing SQLite file is reported as "no schema, every migration
pending" without creating it, so a deployment script can ask before it decides to migrate
(or to stop the old version first: docs/upgrading.md says which upgrades need downtime).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url

from wakedock.db.engine import create_engine, is_sqlite
from wakedock.db.migrate import alembic_config

# `wakedock migrate --check` exit codes (documented in docs/upgrading.md).
EXIT_UP_TO_DATE = 0
EXIT_PENDING = 3
EXIT_UNKNOWN_REVISION = 4


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: tuple[str, ...]  # the database's revisions (empty: no schema yet)
    heads: tuple[str, ...]  # this version's latest revisions
    pending: tuple[str, ...]  # the migrations an upgrade would apply, in order
    unknown: tuple[str, ...]  # revisions of the database this version does not know (newer)

    @property
    def up_to_date(self) -> bool:
        return not self.pending and not self.unknown

    @property
    def exit_code(self) -> int:
        if self.unknown:
            return EXIT_UNKNOWN_REVISION
        return EXIT_PENDING if self.pending else EXIT_UP_TO_DATE


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def current_revisions(database_url: str) -> tuple[str, ...]:
    """The revisions recorded in the database; empty when it has no schema (or no file)."""
    if is_sqlite(database_url):
        database = make_url(database_url).database
        if database and database != ":memory:" and not Path(database).exists():
            return ()
    return asyncio.run(_read_revisions(database_url))


async def _read_revisions(database_url: str) -> tuple[str, ...]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_heads)
    finally:
        await engine.dispose()


def status(database_url: str) -> SchemaStatus:
    """Compare the database's revisions with this version's migrations."""
    current = current_revisions(database_url)
    script = ScriptDirectory.from_config(alembic_config(database_url))
    heads = tuple(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = tuple(rev for rev in current if rev not in known)
    if unknown:
        return SchemaStatus(current, heads, (), unknown)
    # iterate_revisions walks from the heads down to the current revisions: newest first.
    steps = [
        rev.revision
        for rev in script.iterate_revisions(heads, current or "base")
        if rev.revision not in current
    ]
    return SchemaStatus(current, heads, tuple(reversed(steps)), ())
