"""`wakedock restore`: a backup archive into a new data dir, checked before anything is kept.

Invariants: an existing data dir with anything in it is never written to (a restore over a
live installation would mix two databases' keys); nothing is extracted by the archive's own
paths — only the files the manifest lists, each a regular file named as ``backup`` names them,
so a crafted archive (``../``, links, devices) cannot write outside the target; every file's
size and SHA-256 must match the manifest, and the manifest must list exactly what the archive
holds. The files are written into a private temporary dir beside the target, which is renamed
into place only when all of them check out: a failed restore leaves no half data dir.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wakedock.ops.backup import DATABASE_FILE, FORMAT, KEY_FILES, MANIFEST, PREFIX, BackupError

ALLOWED = frozenset((DATABASE_FILE, *KEY_FILES))
# Larger than any key file; the database is bounded by what the archive declares.
_MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(slots=True)
class RestoreReport:
    data_dir: Path
    backend: str
    revision: str | None
    files: list[str]
    notes: list[str] = field(default_factory=list)


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if not member.isreg():
        raise BackupError(f"{member.name} in the archive is not a regular file")
    if member.size > limit:
        raise BackupError(f"{member.name} in the archive is larger than its manifest says")
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read(limit + 1)


def _manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise BackupError("the archive's manifest is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not a WakeDock backup of format {FORMAT}")
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(f, dict)
        and f.get("name") in ALLOWED
        and isinstance(f.get("size"), int)
        and isinstance(f.get("sha256"), str)
        for f in files
    ):
        raise BackupError("the archive's manifest lists unexpected files")
    return manifest


def read_archive(archive: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the checked contents of ``archive``; ``BackupError`` if anything is off."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            return _read(tar, archive)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise BackupError(f"cannot read {archive}: {exc}") from None


def _read(tar: tarfile.TarFile, archive: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    members = tar.getmembers()
    by_name = {m.name: m for m in members}
    if len(by_name) != len(members):
        raise BackupError("the archive names a file twice")
    if MANIFEST not in by_name:
        raise BackupError(f"{archive} has no {MANIFEST}: not a WakeDock backup")
    manifest = _manifest(_read_member(tar, by_name.pop(MANIFEST), _MAX_MANIFEST_BYTES))
    expected = {PREFIX + f["name"]: f for f in manifest["files"]}
    if len(expected) != len(manifest["files"]):
        raise BackupError("the archive's manifest names a file twice")
    if set(by_name) != set(expected):
        extra = sorted(set(by_name) - set(expected))
        missing = sorted(set(expected) - set(by_name))
        raise BackupError(f"archive and manifest disagree (extra {extra}, missing {missing})")
    contents: dict[str, bytes] = {}
    for name, entry in expected.items():
        data = _read_member(tar, by_name[name], entry["size"])
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BackupError(f"{entry['name']} does not match its checksum: archive damaged")
        contents[entry["name"]] = data
    return manifest, contents


def restore(archive: Path, data_dir: Path) -> RestoreReport:
    """Restore ``archive`` into ``data_dir``, which must not exist or be empty."""
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"{data_dir} exists and is not empty: restore into a new data dir")
    manifest, contents = read_archive(archive)
    parent = data_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{data_dir.name}.restore-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        for name, data in contents.items():
            fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if data_dir.exists():
            data_dir.rmdir()  # empty (checked above); rmdir refuses if that changed meanwhile
        os.rename(staging, data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    database = manifest.get("database") or {}
    notes = [str(note) for note in manifest.get("notes", [])]
    return RestoreReport(
        data_dir=data_dir,
        backend=str(database.get("backend")),
        revision=database.get("alembic_revision"),
        files=sorted(contents),
        notes=notes,
    )
