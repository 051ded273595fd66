"""Logging set-up: human-readable text or one JSON object per line, credentials redacted.

Every line carries the id of the request it was written for (``request_id``: ``[id]`` in
text, a field in JSON, ``-`` outside a request; see ``wakedock.request_id``). Every line goes
through one handler whose formatter passes the finished line (message, extra fields, exception
text and traceback) through ``redact.redact``: tokens in socket and stream
URLs, ``Authorization`` values, URL passwords never reach the log, whichever logger wrote them.
HTTP client libraries log each request's full URL at INFO, and a webhook's URL often is its
secret (``https://hooks.example/services/T0/B0/<secret>``, in the path where no pattern can
tell it from an id): their loggers speak only from WARNING up.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from wakedock.redact import redact
from wakedock.request_id import REQUEST_ID

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}
# Libraries that log every outbound request's URL (webhooks, data sources, push services).
QUIET_LOGGERS = ("httpx", "httpcore", "urllib3", "requests_oauthlib")


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being handled ("-" outside any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get() or "-"
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s]: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):  # a handler other than ours, without the filter
            record.request_id = "-"
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str))


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
