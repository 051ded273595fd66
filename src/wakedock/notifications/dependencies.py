from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from wakedock.auth.dependencies import require
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.clock import Clock, clock_dependency
from wakedock.dependencies import AppBroker

READER_PERMISSIONS = (Permission.NOTIFICATIONS_READ,)
Reader = Annotated[Principal, Depends(require(*READER_PERMISSIONS))]
NotificationsAdmin = Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_ADMIN))]
Broadcaster = Annotated[Principal, Depends(require(Permission.NOTIFICATIONS_BROADCAST))]
AppClock = Annotated[Clock, Depends(clock_dependency)]

__all__ = [
    "READER_PERMISSIONS",
    "AppBroker",
    "AppClock",
    "Broadcaster",
    "NotificationsAdmin",
    "Reader",
]
