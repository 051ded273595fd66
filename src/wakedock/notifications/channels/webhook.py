"""Webhook channel: POST JSON, signed with HMAC-SHA256 when a secret is configured.

Receivers verify ``X-WakeDock-Signature: sha256=<hex>`` computed over
``<X-WakeDock-Timestamp>.<raw body>`` with the shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, SecretStr, Strict, StringConstraints

from wakedock.errors import ValidationFailed
from wakedock.netguard import http as guarded_http
from wakedock.netguard.urls import http_target
from wakedock.notifications.channels.base import (
    DeliveryError,
    OutgoingMessage,
    SendContext,
    http_failure,
)

SECRET_FIELDS = ("secret",)
_FORBIDDEN_HEADERS = {"host", "content-length", "content-type", "transfer-encoding"}


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    secret: SecretStr | None = None
    headers: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=256)],
            Annotated[str, StringConstraints(max_length=1024)],
        ],
        Field(max_length=50),
    ] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Strict(), Field(gt=0, le=60)] = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def validate(config: dict[str, Any]) -> None:
    parsed = WebhookConfig.model_validate(config)
    try:
        http_target(parsed.url)
    except ValueError as exc:
        raise ValidationFailed(f"config.url: {exc}", field="body.config.url") from None
    bad = sorted(
        h
        for h in parsed.headers
        if h.lower() in _FORBIDDEN_HEADERS or h.lower().startswith("x-wakedock-")
    )
    if bad:
        raise ValidationFailed(f"config.headers may not set {bad}", field="body.config.headers")


async def send(config: dict[str, Any], message: OutgoingMessage, *, context: SendContext) -> None:
    parsed = WebhookConfig.model_validate(config)
    body = orjson.dumps(
        {
            "event": message.event,
            "delivery_id": context.delivery_id,
            "attempt": context.attempt,
            "channel": context.channel_name,
            "title": message.title,
            "message": message.body,
            "type": message.type,
            "priority": message.priority,
            "url": message.url,
            "notifications": message.notifications,
        }
    )
    timestamp = str(int(time.time()))
    headers = {
        **parsed.headers,
        "Content-Type": "application/json",
        "User-Agent": "WakeDock",
        "X-WakeDock-Event": message.event,
        "X-WakeDock-Delivery": str(context.delivery_id),
        "X-WakeDock-Timestamp": timestamp,
    }
    if parsed.secret is not None:
        headers["X-WakeDock-Signature"] = signature(
            parsed.secret.get_secret_value(), timestamp, body
        )
    try:
        async with guarded_http.client(context.policy, timeout=parsed.timeout_seconds) as client:
            response = await client.post(parsed.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook request failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise http_failure(response.status_code, response.headers.get("retry-after"), "webhook")
