"""POST /api/notifications/broadcast served by ``wakedock serve``'s gateway, under the
framework (``direct_route``).

Broadcasts come in bursts (an admin's tool announcing to every role at once, 50 in a few
milliseconds), and the worker starts the first one's fan-out only once the burst is stored:
each POST's time through the app delays every delivery. Through FastAPI, 40% of a broadcast
POST's time went to matching it against the routers, and more to resolving its dependencies.
Served here: the permission check of ``Broadcaster``, the body through ``BroadcastIn``,
``service.create``, the worker's wake-up and the route's answer (202, ``BroadcastAccepted``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from wakedock import fast_paths
from wakedock.audit.context import AuditActor
from wakedock.auth.permissions import Permission
from wakedock.auth.principal import Principal
from wakedock.notifications.broadcast import service
from wakedock.notifications.broadcast.schemas import BroadcastAccepted, BroadcastIn
from wakedock.notifications.direct_route import DirectRoute

PATH = "/api/notifications/broadcast"


async def accept(
    state: Any, db: AsyncSession, principal: Principal, actor: AuditActor, body: BroadcastIn
) -> BroadcastAccepted:
    """What the route does, either way in: store the broadcast, wake the worker (whose claim
    waits for the broadcasts arriving with it: ``DeliveryWorker.arriving``)."""
    worker = getattr(state, "worker", None)
    with worker.arriving() if worker is not None else contextlib.nullcontext():
        row = await service.create(
            db,
            actor=actor,
            sender_id=principal.user_id,
            body=body,
            now=state.clock.now(),
            renderer=state.renderer,
        )
    if worker is not None:
        worker.wake()
    return BroadcastAccepted(broadcast_id=row.id, recipients=row.recipients)


async def _broadcast(
    state: Any, db: AsyncSession, principal: Principal, actor: AuditActor, body: BroadcastIn
) -> Response:
    accepted = await accept(state, db, principal, actor, body)
    return Response(
        orjson.dumps(accepted.model_dump(mode="json")),
        status_code=202,
        media_type="application/json",
    )


ROUTE = DirectRoute(
    PATH,
    BroadcastIn,
    (Permission.NOTIFICATIONS_BROADCAST,),
    fast_paths.GATEWAY_BROADCAST,
    _broadcast,
)
