"""Apprise channel: one URL reaches Slack, Discord, Telegram, Matrix, ntfy, Gotify and ~100 more."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import apprise as apprise_lib
from pydantic import BaseModel, ConfigDict, SecretStr, StringConstraints

from wakedock.errors import ValidationFailed
from wakedock.notifications.channels.base import DeliveryError, OutgoingMessage, SendContext
from wakedock.notifications.channels.netguard import ensure_public_host

SECRET_FIELDS = ("url",)
# Schemes whose URL names an arbitrary HTTP host: these get the SSRF guard.
_HTTP_LIKE = {"json", "jsons", "xml", "xmls", "form", "forms", "ntfy", "ntfys", "gotify", "gotifys"}
_TYPES = {
    "error": apprise_lib.NotifyType.FAILURE,
    "security": apprise_lib.NotifyType.FAILURE,
    "warning": apprise_lib.NotifyType.WARNING,
    "success": apprise_lib.NotifyType.SUCCESS,
}


class AppriseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: SecretStr
    tag: Annotated[str, StringConstraints(max_length=64)] | None = None


def validate(config: dict[str, Any]) -> None:
    parsed = AppriseConfig.model_validate(config)
    instance = apprise_lib.Apprise()
    if not instance.add(parsed.url.get_secret_value()):
        raise ValidationFailed("config.url is not a valid Apprise URL", field="body.config.url")


async def send(config: dict[str, Any], message: OutgoingMessage, *, context: SendContext) -> None:
    parsed = AppriseConfig.model_validate(config)
    url = parsed.url.get_secret_value()
    parts = urlsplit(url)
    if parts.scheme in _HTTP_LIKE and parts.hostname:
        await ensure_public_host(
            parts.hostname, parts.port, allow_private=context.allow_private_targets
        )
    instance = apprise_lib.Apprise()
    if not instance.add(url):
        raise DeliveryError("invalid Apprise URL", permanent=True)
    body = message.body or message.title
    if message.url:
        body += f"\n{message.url}"
    ok = await instance.async_notify(
        body=body,
        title=message.title,
        notify_type=_TYPES.get(message.type, apprise_lib.NotifyType.INFO),
    )
    if not ok:
        raise DeliveryError("the Apprise service did not accept the message")
