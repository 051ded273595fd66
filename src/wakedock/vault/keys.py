"""The encryption keys that seal stored secrets: a keyring with one primary key and older ones.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256, from ``cryptography``), used through
``MultiFernet``: a value is sealed with the first (primary) key and opened with whichever key of
the ring fits, so a rotation adds a new first key, re-seals every stored value with it
(``wakedock secrets rotate``) and only then lets the old keys go (``wakedock secrets retire``).

Where the keys live, in order:

* ``WAKEDOCK_ENCRYPTION_KEYS``: comma-separated keys, first is primary. Every process of a
  deployment must get the same list; changing it needs a restart.
* else ``<data dir>/encryption_keys``: one key a line, first is primary, generated on first use
  (mode 0600, written to a private temp file then linked into place so no process ever reads a
  half-written file; two processes racing both end up with the winner's key). A rotation replaces
  the file atomically, and every process re-reads it when it changes (one ``stat`` per use, about
  a microsecond), so running servers and workers follow a rotation without a restart.

The keyring is lazy: building one touches no file; the file is read (or created) on first use.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS_FILE = "encryption_keys"
ENV_NAME = "WAKEDOCK_ENCRYPTION_KEYS"


class KeyringError(Exception):
    """The keys cannot be used (bad file, bad key); the message names where they came from."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def check_key(key: str) -> None:
    """Raise ``ValueError`` unless ``key`` is a Fernet key (32 bytes, url-safe base64)."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        raise ValueError(
            "not a Fernet key (44 characters of url-safe base64; make one with "
            "`wakedock secrets new-key`)"
        ) from None


def parse_keys(text: str) -> list[str]:
    """The keys in a keys file: one a line; blank lines and ``#`` comments are ignored."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _write_private(path: Path, text: str) -> Path:
    """Write ``text`` to a new mode-0600 temp file beside ``path`` and return the temp path."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def create_keys_file(path: Path) -> None:
    """Create the keys file with one fresh key unless it exists (atomic, race-safe)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    tmp = _write_private(path, new_key() + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won the race: its key is the key
    finally:
        tmp.unlink()


def replace_keys_file(path: Path, keys: Sequence[str]) -> None:
    """Atomically replace the keys file with ``keys`` (first is primary), mode 0600."""
    for key in keys:
        check_key(key)
    header = "# WakeDock encryption keys: the first seals, all open. Keep this file secret.\n"
    tmp = _write_private(path, header + "".join(f"{key}\n" for key in keys))
    os.replace(tmp, path)


class Keyring:
    """Seals with the primary key, opens with any; follows the keys file when it changes."""

    def __init__(self, *, keys: Sequence[str] | None = None, path: Path | None = None) -> None:
        if (keys is None) == (path is None):
            raise ValueError("give either keys or a keys file path")
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: list[str] = []
        self._fernet: MultiFernet | None = None
        self._primary: Fernet | None = None
        if keys is not None:
            self._load(list(keys))

    @property
    def source(self) -> str:
        """Where the keys come from, for messages (never the keys themselves)."""
        return f"the keys file {self.path}" if self.path is not None else ENV_NAME

    @property
    def from_file(self) -> bool:
        return self.path is not None

    def _load(self, keys: list[str]) -> None:
        if not keys:
            raise KeyringError(f"{self.source} holds no key")
        for number, key in enumerate(keys, 1):
            try:
                check_key(key)
            except ValueError as exc:
                raise KeyringError(f"key {number} in {self.source} is {exc}") from None
        self._keys = keys
        fernets = [Fernet(key.encode()) for key in keys]
        self._primary = fernets[0]
        self._fernet = MultiFernet(fernets)

    def _current(self) -> MultiFernet:
        if self.path is None:
            assert self._fernet is not None
            return self._fernet
        with self._lock:
            try:
                info = self.path.stat()
            except FileNotFoundError:
                create_keys_file(self.path)
                info = self.path.stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            if stamp != self._stamp or self._fernet is None:
                self._load(parse_keys(self.path.read_text()))
                self._stamp = stamp
            assert self._fernet is not None
            return self._fernet

    def keys(self) -> list[str]:
        """The keys, primary first (for the rotation command)."""
        self._current()
        return list(self._keys)

    def encrypt(self, data: bytes) -> bytes:
        return self._current().encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        """Open a token with any key; ``InvalidToken`` when none fits or it was altered."""
        return self._current().decrypt(token)

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext sealed again with the primary key."""
        return self._current().rotate(token)

    def primary_opens(self, token: bytes) -> bool:
        """True when the primary key alone opens ``token`` (it needs no older key)."""
        self._current()
        assert self._primary is not None
        try:
            self._primary.decrypt(token)
        except InvalidToken:
            return False
        return True


def keyring_for(data_dir: Path, configured: Sequence[str]) -> Keyring:
    """The configured keys when any, else the data dir's keys file."""
    if configured:
        return Keyring(keys=configured)
    return Keyring(path=data_dir / KEYS_FILE)
