"""Channel types by name: a new channel is one new module listed here.

Every sender is wrapped so that a target the outbound guard refuses (``TargetRefused``) ends as a
permanent ``DeliveryError`` — a dead letter or a failed "Send test" with the guard's reason —
whichever channel raised it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from wakedock.netguard import TargetRefused
from wakedock.notifications.channels import apprise, email, webhook, webpush
from wakedock.notifications.channels.base import DeliveryError, OutgoingMessage, SendContext
from wakedock.notifications.states import ChannelKind


@dataclass(frozen=True)
class ChannelType:
    name: str
    secret_fields: tuple[str, ...]
    validate: Callable[[dict[str, Any]], None]
    send: Callable[..., Awaitable[None]]


def _guarded(send: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    async def guarded_send(
        config: dict[str, Any], message: OutgoingMessage, *, context: SendContext
    ) -> None:
        try:
            await send(config, message, context=context)
        except TargetRefused as exc:
            raise DeliveryError(str(exc), permanent=True) from None

    return guarded_send


def _from(name: str, module: ModuleType) -> ChannelType:
    return ChannelType(name, tuple(module.SECRET_FIELDS), module.validate, _guarded(module.send))


CHANNEL_TYPES: dict[str, ChannelType] = {
    ChannelKind.EMAIL: _from(ChannelKind.EMAIL, email),
    ChannelKind.WEBHOOK: _from(ChannelKind.WEBHOOK, webhook),
    ChannelKind.WEBPUSH: _from(ChannelKind.WEBPUSH, webpush),
    ChannelKind.APPRISE: _from(ChannelKind.APPRISE, apprise),
}

__all__ = ["CHANNEL_TYPES", "ChannelType", "OutgoingMessage", "SendContext"]
