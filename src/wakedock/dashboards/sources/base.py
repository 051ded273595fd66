"""The small interface every data source kind implements, and its error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.settings import Settings


class SourceError(Exception):
    """An upstream or query failure, reported as the widget's error state (never a 500)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


@dataclass(frozen=True, slots=True)
class FetchContext:
    """What a fetch may use: settings, a way to open a DB session, the viewer (if personal)."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    now: datetime
    user_id: int | None = None


class DataSourceKind(Protocol):
    """One kind of data source (one module each, chosen by ``kind``)."""

    kind: str
    # True when results depend on the viewer: the cache key then includes the user.
    personal: bool
    # JSON Schema of the source's own config (what dashboards:admin stores).
    config_schema: dict[str, Any]
    # Config keys whose values are secrets (masked in answers, never audited).
    secret_keys: tuple[str, ...]

    async def check_config(self, config: dict[str, Any], settings: Settings) -> None:
        """Raise ``SourceError`` when a config is unusable (bad URL, refused target)."""
        ...

    async def fetch(self, config: dict[str, Any], query: dict[str, Any], ctx: FetchContext) -> Any:
        """Return the raw result of ``query`` (JSON-compatible), or raise ``SourceError``."""
        ...
