"""Data source kinds, one module each, chosen by ``kind`` (see ``base.DataSourceKind``)."""

from __future__ import annotations

from wakedock.dashboards.sources import http_json, notifications, prometheus, system
from wakedock.dashboards.sources.base import DataSourceKind, FetchContext, SourceError

KINDS: dict[str, DataSourceKind] = {
    module.kind: module for module in (notifications, system, prometheus, http_json)
}
# Created at start-up; they need no config from an admin.
BUILTIN_KINDS = ("notifications", "system")

__all__ = ["BUILTIN_KINDS", "KINDS", "DataSourceKind", "FetchContext", "SourceError"]
