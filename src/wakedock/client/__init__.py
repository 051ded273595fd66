"""The WakeDock Python client: ``Client`` (blocking) and ``AsyncClient`` (asyncio).

It needs httpx, pydantic and websockets only: nothing of the server (an import-linter contract
in pyproject.toml and ``tests/client/test_isolation.py`` keep it so). docs/client.md shows it.
"""

from wakedock.client.async_client import AsyncClient
from wakedock.client.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    InvalidRequest,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
    WakeDockClientError,
)
from wakedock.client.models import (
    ApiToken,
    ApiTokenCreated,
    BroadcastAccepted,
    Me,
    Notification,
    NotificationPage,
    NotificationType,
    Permission,
    Priority,
    Role,
    SendResult,
    User,
)
from wakedock.client.sync_client import Client

__all__ = [
    "ApiError",
    "ApiToken",
    "ApiTokenCreated",
    "AsyncClient",
    "AuthenticationError",
    "BroadcastAccepted",
    "Client",
    "ConflictError",
    "InvalidRequest",
    "Me",
    "NotFoundError",
    "Notification",
    "NotificationPage",
    "NotificationType",
    "Permission",
    "PermissionDenied",
    "Priority",
    "RateLimited",
    "Role",
    "SendResult",
    "ServerError",
    "TransportError",
    "User",
    "WakeDockClientError",
]
