"""An integration's recent deliveries: what each accepted request carried and what became of
it, for debugging a sender's configuration (a template failing on a real payload).

Bounded twice: each row keeps at most ``PAYLOAD_MAX`` characters of the raw body (cut, and
marked ``payload_truncated``), and each integration keeps its newest ``KEEP`` rows (older ones
are deleted in the transaction that adds one). Only authenticated requests are kept: an
unsigned or wrongly signed one is refused before anything is written, so nobody without the
secret can push a real delivery off the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.integrations.models import IntegrationDelivery

KEEP = 20
PAYLOAD_MAX = 16 * 1024


def add(
    session: AsyncSession,
    *,
    integration_id: int,
    now: datetime,
    status: str,
    status_code: int,
    body: bytes,
    event: str | None = None,
    delivery_id: str | None = None,
    error: str | None = None,
    notifications: int = 0,
) -> IntegrationDelivery:
    """Add a delivery row to the session (the caller trims with ``trim`` and commits)."""
    text = body[: PAYLOAD_MAX * 4].decode("utf-8", "replace")
    row = IntegrationDelivery(
        integration_id=integration_id,
        received_at=now,
        status=status,
        status_code=status_code,
        event=event[:64] if event else None,
        delivery_id=delivery_id[:128] if delivery_id else None,
        error=error[:1000] if error else None,
        notifications=notifications,
        payload=text[:PAYLOAD_MAX],
        payload_truncated=len(text) > PAYLOAD_MAX or len(body) > PAYLOAD_MAX * 4,
    )
    session.add(row)
    return row


async def trim(session: AsyncSession, *, integration_id: int) -> None:
    """Delete all but the newest ``KEEP`` deliveries of the integration."""
    await session.flush()
    newest = (
        select(IntegrationDelivery.id)
        .where(IntegrationDelivery.integration_id == integration_id)
        .order_by(IntegrationDelivery.id.desc())
        .limit(KEEP)
    )
    kept = list((await session.scalars(newest)).all())
    if len(kept) < KEEP:
        return
    await session.execute(
        delete(IntegrationDelivery)
        .where(
            IntegrationDelivery.integration_id == integration_id,
            IntegrationDelivery.id < min(kept),
        )
        .execution_options(synchronize_session=False)
    )


async def seen(session: AsyncSession, *, integration_id: int, delivery_id: str) -> bool:
    """Whether a delivery with this sender-given id is among the recent ones (a replay)."""
    query = select(IntegrationDelivery.id).where(
        IntegrationDelivery.integration_id == integration_id,
        IntegrationDelivery.delivery_id == delivery_id[:128],
        IntegrationDelivery.status.in_(("delivered", "ignored")),
    )
    return (await session.scalar(query.limit(1))) is not None


async def recent(session: AsyncSession, *, integration_id: int) -> Sequence[IntegrationDelivery]:
    """The integration's kept deliveries, newest first."""
    query = (
        select(IntegrationDelivery)
        .where(IntegrationDelivery.integration_id == integration_id)
        .order_by(IntegrationDelivery.id.desc())
        .limit(KEEP)
    )
    return (await session.scalars(query)).all()
