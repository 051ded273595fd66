"""`wakedock backup`: one archive with a consistent copy of the database and the data dir's keys.

What an installation cannot be rebuilt without, and nothing else:

* the SQLite database, copied with SQLite's online backup API while the server serves and
  writes. The copy is taken in one step (``pages=-1``): it holds a read transaction for the
  whole copy, so it is exactly the database as of one commit — every notification committed
  before the backup started is in it, none half-written. In WAL mode a reader blocks no writer:
  the server keeps committing meanwhile (into the WAL; only checkpoints wait). A stepped copy
  would restart each time another connection writes, and under a steady write load never end.
  PostgreSQL is not copied here: ``pg_dump`` does that (docs/operations.md), and the archive
  then holds the keys and says so.
* the key files of the data dir: ``secret_key`` (signs access tokens; refresh and API tokens
  are stored as hashes and need no key) and ``encryption_keys`` (seals channel secrets and the
  VAPID private key, which live in the database). A key given by environment variable
  (``WAKEDOCK_SECRET_KEY``, ``WAKEDOCK_ENCRYPTION_KEYS``) is not in the data dir, so not in the
  archive: the manifest and the command's output say which ones to keep yourself.

The keys are read after the database is copied: a ``wakedock secrets rotate`` running meanwhile
adds a key in front and keeps the old ones, so the copied keys still open every secret the copied
database holds.

The archive is a tar.gz, mode 0600 (it holds the keys), written beside its destination and
renamed into place. ``manifest.json`` comes first: format, WakeDock version, the schema's
Alembic revision, and each file's size and SHA-256, which ``wakedock restore`` checks.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from wakedock import __version__
from wakedock.db.engine import is_sqlite
from wakedock.ops.schema import current_revisions
from wakedock.settings import SECRET_KEY_FILE, Settings
from wakedock.vault.keys import KEYS_FILE

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILE = "wakedock.db"
# Everything of the archive but the manifest is under this prefix, named as in the data dir.
PREFIX = "data/"
KEY_FILES = (SECRET_KEY_FILE, KEYS_FILE)


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why (never a key)."""


@dataclass(slots=True)
class BackupReport:
    path: Path
    backend: str
    revision: str | None
    files: list[str]
    notes: list[str] = field(default_factory=list)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database ``source`` into the new file ``target``."""
    if not source.exists():
        raise BackupError(f"no database at {source}: nothing to back up")
    # Read-only: the backup never creates, migrates or checkpoints the live database.
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)  # one step: one read transaction, one commit's state
            check = dst.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"the copy of {source} fails SQLite's quick_check: {check}")
            # A self-contained file: no WAL beside it in the archive.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _revision_of(url: str) -> str | None:
    current = current_revisions(url)
    return ",".join(current) if current else None


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _key_files(settings: Settings, notes: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    from_env = {
        SECRET_KEY_FILE: bool(settings.secret_key and settings.secret_key.get_secret_value()),
        KEYS_FILE: bool(settings.encryption_keys),
    }
    env_names = {SECRET_KEY_FILE: "WAKEDOCK_SECRET_KEY", KEYS_FILE: "WAKEDOCK_ENCRYPTION_KEYS"}
    for name in KEY_FILES:
        path = settings.data_dir / name
        if from_env[name]:
            notes.append(
                f"{env_names[name]} is set: that key is not in the archive; keep it yourself"
            )
            continue
        if path.exists():
            found[name] = path.read_bytes()
        else:
            notes.append(f"no {name} in {settings.data_dir} (created on first start)")
    return found


def backup(settings: Settings, destination: Path, *, overwrite: bool = False) -> BackupReport:
    """Write the archive of ``settings``'s installation to ``destination``."""
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists: choose another name (or --force)")
    url = settings.resolved_database_url
    notes: list[str] = []
    contents: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="wakedock-backup-") as tmp:
        if is_sqlite(url):
            backend = "sqlite"
            database = make_url(url).database
            if not database or database == ":memory:":
                raise BackupError("an in-memory database cannot be backed up")
            copy = Path(tmp) / DATABASE_FILE
            copy_sqlite(Path(database), copy)
            revision = _revision_of(f"sqlite+aiosqlite:///{copy}")
            contents[DATABASE_FILE] = copy.read_bytes()
        else:
            backend = make_url(url).get_backend_name()
            revision = _revision_of(url)
            notes.append(
                "the database is PostgreSQL: it is not in the archive; back it up with"
                " pg_dump --format=custom (docs/operations.md)"
            )
    contents.update(_key_files(settings, notes))
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "wakedock_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"backend": backend, "alembic_revision": revision},
        "files": [
            {"name": name, "size": len(data), "sha256": _sha256(data)}
            for name, data in contents.items()
        ],
        "notes": notes,
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = destination.parent / f".{destination.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as tar:
                _add(tar, MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
                for name, data in contents.items():
                    _add(tar, PREFIX + name, data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, destination)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return BackupReport(destination, backend, revision, list(contents), notes)
