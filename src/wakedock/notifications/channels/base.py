"""What every channel sender gets and may raise. One module per channel type implements
``async def send(config, message, *, context) -> None``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wakedock.netguard import NetPolicy


class DeliveryError(Exception):
    """A failed attempt. ``permanent`` failures are not retried; ``retry_after`` (seconds)
    overrides the backoff when the receiver asked for it (429/503 Retry-After)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        gone: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or gone
        self.retry_after = retry_after
        self.gone = gone  # the target no longer exists (web push 404/410)


@dataclass
class OutgoingMessage:
    """What to say. ``notifications`` holds one item, or several for a digest."""

    title: str
    body: str
    notifications: list[dict[str, Any]] = field(default_factory=list)
    type: str = "info"
    priority: str = "normal"
    url: str | None = None
    email_subject: str | None = None
    email_html: str | None = None
    recipient_email: str | None = None
    recipient_name: str | None = None
    event: str = "notification"


@dataclass
class SendContext:
    delivery_id: int
    attempt: int
    channel_name: str
    policy: NetPolicy = field(
        default_factory=NetPolicy
    )  # where outbound connections may go (wakedock.netguard)
    timeout: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)


def http_failure(status: int, retry_after: str | None, what: str) -> DeliveryError:
    """Map an HTTP status to retryable or permanent (4xx except 408 and 429 are permanent)."""
    delay: float | None = None
    if retry_after and status in (429, 503):
        try:
            delay = max(0.0, float(retry_after))
        except ValueError:
            from datetime import UTC, datetime
            from email.utils import parsedate_to_datetime

            try:
                delay = max(
                    0.0, (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds()
                )
            except (TypeError, ValueError):
                delay = None
    permanent = 400 <= status < 500 and status not in (408, 429)
    return DeliveryError(
        f"{what} answered HTTP {status}",
        permanent=permanent,
        retry_after=delay,
        gone=status in (404, 410) and what == "push service",
    )
