"""Apprise channel: one URL reaches Slack, Discord, Telegram, Matrix, ntfy, Gotify and ~100 more.

Apprise's plugins connect with requests, smtplib and raw sockets, follow redirects, and learn
further hosts from API answers, so no URL parsing can say where a send will go. The send runs
instead under ``netguard.threads.run_guarded``: in one worker thread (plugins sequential,
``async_mode=False``) whose every ``socket.connect`` is checked against the outbound policy as
it happens; a refused connect fails the delivery permanently with the guard's reason.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import apprise as apprise_lib
from pydantic import BaseModel, ConfigDict, SecretStr, StringConstraints

from wakedock.errors import ValidationFailed
from wakedock.netguard.threads import run_guarded
from wakedock.notifications.channels.base import DeliveryError, OutgoingMessage, SendContext

SECRET_FIELDS = ("url",)
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
    # Sequential plugins: each one runs in the guarded thread (or a pool Apprise copies its
    # context into), never in a thread the guard cannot see.
    instance = apprise_lib.Apprise(asset=apprise_lib.AppriseAsset(async_mode=False))
    if not instance.add(parsed.url.get_secret_value()):
        raise DeliveryError("invalid Apprise URL", permanent=True)
    body = message.body or message.title
    if message.url:
        body += f"\n{message.url}"
    ok = await run_guarded(
        context.policy,
        partial(
            instance.notify,
            body=body,
            title=message.title,
            notify_type=_TYPES.get(message.type, apprise_lib.NotifyType.INFO),
        ),
    )
    if not ok:
        raise DeliveryError("the Apprise service did not accept the message")
