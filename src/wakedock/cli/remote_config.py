"""Where the client commands keep the server and token (``wakedock login``) and the last
notification ``wakedock listen`` handled: files in the user's config directory, mode 0600.

The directory: ``$XDG_CONFIG_HOME/wakedock`` (default ``~/.config/wakedock``; ``%APPDATA%``
on Windows). ``WAKEDOCK_URL`` and ``WAKEDOCK_TOKEN`` override what is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_FILE = "config.json"
STATE_FILE = "listen-state.json"


class NotLoggedIn(Exception):
    pass


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str


def config_dir() -> Path:
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "wakedock"


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON, readable by the user only, replacing the file atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(url: str, token: str, token_id: int | None) -> Path:
    path = config_dir() / CONFIG_FILE
    _write_private(path, {"url": url.rstrip("/"), "token": token, "token_id": token_id})
    return path


def stored() -> dict[str, Any]:
    return _read(config_dir() / CONFIG_FILE)


def forget_credentials() -> bool:
    try:
        (config_dir() / CONFIG_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


def credentials() -> Credentials:
    data = stored()
    url = os.environ.get("WAKEDOCK_URL") or data.get("url")
    token = os.environ.get("WAKEDOCK_TOKEN") or data.get("token")
    if not url or not token:
        raise NotLoggedIn(
            "not logged in: run `wakedock login URL` (or set WAKEDOCK_URL and WAKEDOCK_TOKEN)"
        )
    return Credentials(str(url).rstrip("/"), str(token))


def _state_key(creds: Credentials) -> str:
    # Per server and token (so per account); the token itself is not written here.
    return f"{creds.url} {hashlib.sha256(creds.token.encode()).hexdigest()[:16]}"


def last_seen(creds: Credentials) -> int | None:
    value = _read(config_dir() / STATE_FILE).get(_state_key(creds))
    return value if isinstance(value, int) and value >= 0 else None


def save_last_seen(creds: Credentials, notification_id: int) -> None:
    path = config_dir() / STATE_FILE
    data = _read(path)
    data[_state_key(creds)] = notification_id
    _write_private(path, data)
