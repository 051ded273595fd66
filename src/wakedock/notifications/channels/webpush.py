"""Web push channel (RFC 8030/8291/8292): aes128gcm payloads signed with VAPID keys."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pydantic import BaseModel, ConfigDict, Field, SecretStr, Strict, StringConstraints
from pywebpush import WebPusher

from wakedock.netguard import http as guarded_http
from wakedock.notifications.channels.base import (
    DeliveryError,
    OutgoingMessage,
    SendContext,
    http_failure,
)

SECRET_FIELDS = ("vapid_private_key",)


class WebPushConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vapid_public_key: Annotated[str, StringConstraints(min_length=20, max_length=200)]
    vapid_private_key: SecretStr
    subject: Annotated[str, StringConstraints(pattern=r"^(mailto:|https://).+", max_length=255)]
    # How long the push service keeps an undelivered message (RFC 8030 TTL): up to 4 weeks.
    ttl_seconds: Annotated[int, Strict(), Field(ge=0, le=28 * 86400)] = 86400


def generate_vapid_keys() -> tuple[str, str]:
    """(public key for the browser, private key): both unpadded base64url."""
    vapid = Vapid02()
    vapid.generate_keys()
    raw_public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private_value = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64(raw_public), _b64(private_value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def validate(config: dict[str, Any]) -> None:
    parsed = WebPushConfig.model_validate(config)
    try:
        Vapid02.from_string(private_key=parsed.vapid_private_key.get_secret_value())
    except Exception:  # py_vapid raises assorted errors for bad keys
        from wakedock.errors import ValidationFailed

        raise ValidationFailed(
            "config.vapid_private_key is not a valid VAPID key",
            field="body.config.vapid_private_key",
        ) from None


async def send(config: dict[str, Any], message: OutgoingMessage, *, context: SendContext) -> None:
    parsed = WebPushConfig.model_validate(config)
    subscription = context.extra["subscription"]
    endpoint: str = subscription["endpoint"]
    payload = orjson.dumps(
        {
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "type": message.type,
            "priority": message.priority,
            "notification": message.notifications[0] if message.notifications else None,
        }
    )
    encoded = WebPusher(subscription).encode(payload, "aes128gcm")
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    vapid = Vapid02.from_string(private_key=parsed.vapid_private_key.get_secret_value())
    claims: dict[str, str | int] = {
        "sub": parsed.subject,
        "aud": f"{parts.scheme}://{parts.netloc}",
    }
    import time

    claims["exp"] = int(time.time()) + 12 * 3600
    headers = {
        **vapid.sign(claims),
        "TTL": str(parsed.ttl_seconds),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "Urgency": {"urgent": "high", "high": "high", "low": "low"}.get(message.priority, "normal"),
    }
    try:
        async with guarded_http.client(context.policy, timeout=context.timeout) as client:
            response = await client.post(endpoint, content=encoded["body"], headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"push request failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise http_failure(
            response.status_code, response.headers.get("retry-after"), "push service"
        )
