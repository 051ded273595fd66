from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wakedock.auth.dependencies import require
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.broker import Broker
from wakedock.clock import Clock, get_clock

Reader = Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_READ))]
NotificationsAdmin = Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_ADMIN))]
Broadcaster = Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_BROADCAST))]
AppClock = Annotated[Clock, Depends(get_clock)]


def get_broker(request: Request) -> Broker | None:
    return getattr(request.app.state, "broker", None)


AppBroker = Annotated[Broker | None, Depends(get_broker)]
