"""Channel types by name: a new channel is one new module listed here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from wakedock.notifications.channels import apprise, email, webhook, webpush
from wakedock.notifications.channels.base import OutgoingMessage, SendContext


@dataclass(frozen=True)
class ChannelType:
    name: str
    secret_fields: tuple[str, ...]
    validate: Callable[[dict[str, Any]], None]
    send: Callable[..., Awaitable[None]]


def _from(name: str, module: ModuleType) -> ChannelType:
    return ChannelType(name, tuple(module.SECRET_FIELDS), module.validate, module.send)


CHANNEL_TYPES: dict[str, ChannelType] = {
    "email": _from("email", email),
    "webhook": _from("webhook", webhook),
    "webpush": _from("webpush", webpush),
    "apprise": _from("apprise", apprise),
}

__all__ = ["CHANNEL_TYPES", "ChannelType", "OutgoingMessage", "SendContext"]
