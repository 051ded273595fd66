"""POST /api/notifications served by ``wakedock serve``'s gateway, under the framework
(``direct_route``).

Creating a notification is the request scripts and services send most, and the one whose
latency users see (create → socket). Through FastAPI, its middleware, routing and dependency
resolution add ~40% to the CPU a create costs (the main thread's CPU per create, in-process:
~3.1 ms through the app, ~2.2 ms here, for the same work). Served here: the permission check
of ``Reader``, the body through ``NotificationCreate``, ``sending.create`` and the route's own
``created_response``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from wakedock import fast_paths
from wakedock.audit.context import AuditActor
from wakedock.auth.principal import Principal
from wakedock.notifications import sending
from wakedock.notifications.dependencies import READER_PERMISSIONS
from wakedock.notifications.direct_route import DirectRoute
from wakedock.notifications.router import created_response
from wakedock.notifications.router import router as notifications_router
from wakedock.notifications.schemas import NotificationCreate

PATH = notifications_router.prefix  # the route's path: POST ""


async def _create(
    state: Any, db: AsyncSession, principal: Principal, actor: AuditActor, body: NotificationCreate
) -> Response:
    created = await sending.create(
        db,
        principal=principal,
        actor=actor,
        body=body,
        now=state.clock.now(),
        broker=getattr(state, "broker", None),
        renderer=state.renderer,
    )
    return created_response(created, body)


ROUTE = DirectRoute(
    PATH, NotificationCreate, READER_PERMISSIONS, fast_paths.GATEWAY_CREATE, _create
)
