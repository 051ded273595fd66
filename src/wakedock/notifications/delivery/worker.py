"""The delivery worker: claims due jobs with a lease, sends, records every attempt, retries.

Runs inside ``wakedock serve`` and alone as ``wakedock worker``. Claims use
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the queue without ever
taking the same job; a worker killed mid-job leaves a lease that expires, and the job is
claimed again (an attempt is counted at claim time, so a crash loop still ends in "dead").
A graceful stop (``stop``) claims nothing more, lets in-flight jobs end (a broadcast stops at
its next batch boundary), cancels what is left after the grace, and releases this worker's
leases without counting an attempt: the next start takes them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Collection, Iterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wakedock.auth import directory
from wakedock.broker import Broker
from wakedock.clock import Clock
from wakedock.db.engine import write_gate
from wakedock.db.rows import by_ids
from wakedock.netguard import policy_for
from wakedock.notifications import events, maintenance, metrics, scheduled, stream
from wakedock.notifications.broadcast import fanout
from wakedock.notifications.channels import service as channel_service
from wakedock.notifications.channels.base import DeliveryError, OutgoingMessage, SendContext
from wakedock.notifications.channels.registry import CHANNEL_TYPES
from wakedock.notifications.delivery.retry import next_delay
from wakedock.notifications.models import (
    Delivery,
    Notification,
    NotificationChannel,
    PushSubscription,
)
from wakedock.notifications.preferences import service as preferences
from wakedock.notifications.schemas import Priority
from wakedock.notifications.states import DONE, DUE, DeliveryChannel, DeliveryStatus
from wakedock.settings import Settings
from wakedock.vault.sealing import SecretUnreadable

logger = logging.getLogger(__name__)


# How long a claim waits for requests of this process about to commit jobs (``arriving``).
ARRIVAL_WAIT_SECONDS = 0.05


class Skip(Exception):
    """Nothing to send any more (notification deleted, expired, or not allowed): cancel."""


class Released(Exception):
    """The worker is stopping: leave the job to be released (a broadcast between batches)."""


class DeliveryWorker:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        broker: Broker | None,
        clock: Clock,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.broker = broker
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        # Requests about to commit jobs (``arriving``), and set when there are none.
        self._arriving = 0
        self._arrived = asyncio.Event()
        self._arrived.set()
        self._last_maintenance = 0.0
        self.stopping = False
        self._jobs: set[asyncio.Future[None]] = set()  # in-flight ``process`` calls

    def wake(self) -> None:
        """Look at the queue now (new jobs were just committed)."""
        self._wake.set()

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Around a request of this process that is about to commit a job (a broadcast POST).

        A claim waits (at most ``ARRIVAL_WAIT_SECONDS``) until none is in flight: the
        broadcasts of a burst then go out as one group. 50 sent at once were stored in three
        group commits, and a claim woken by the first took the ones stored by then: the rest
        went out after them, in a second pass through the audience."""
        self._arriving += 1
        self._arrived.clear()
        try:
            yield
        finally:
            self._arriving -= 1
            if not self._arriving:
                self._arrived.set()

    async def run(self) -> None:
        """Work until cancelled or stopped."""
        while not self.stopping:
            try:
                done = await self.run_once()
                done += await self.release_scheduled()
                if time.monotonic() - self._last_maintenance > 30:
                    await self.maintenance()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("delivery worker iteration failed")
                done = 0
            if done == 0 and not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), self.settings.worker_poll_interval_seconds
                    )
                self._wake.clear()

    async def drain(self, max_rounds: int = 100) -> int:
        """Burst mode: process until nothing is due (tests, ``wakedock worker --burst``)."""
        total = 0
        for _ in range(max_rounds):
            done = await self.run_once()
            total += done
            if done == 0:
                break
        return total

    async def stop(self, grace: float) -> int:
        """Stop gracefully: claim nothing more, give in-flight jobs ``grace`` seconds to end,
        cancel the rest, release this worker's leases. Returns how many were released."""
        self.stopping = True
        self._wake.set()
        if self._jobs:
            _, late = await asyncio.wait(set(self._jobs), timeout=grace)
            for job in late:
                job.cancel()
            if late:
                await asyncio.wait(late)
        return await self.release()

    async def release(self) -> int:
        """Put the jobs this worker holds back in the queue, due now; the claim's attempt is
        given back (a stop is not the job's failure)."""
        async with self.sessionmaker() as session, write_gate(session):
            released = await session.execute(
                update(Delivery)
                .where(Delivery.status == "running", Delivery.locked_by == self.worker_id)
                .values(
                    status=case((Delivery.attempts > 1, "retrying"), else_="pending"),
                    attempts=Delivery.attempts - 1,
                    lease_until=None,
                    locked_by=None,
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        count = int(getattr(released, "rowcount", 0) or 0)
        if count:
            logger.info("released %d delivery lease(s) for the next start", count)
        return count

    async def run_once(self, limit: int | None = None) -> int:
        if self.stopping:
            return 0
        if self._arriving:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), ARRIVAL_WAIT_SECONDS)
        claimed = await self.claim(limit or self.settings.worker_batch_size)
        if not claimed:
            return 0
        # E-mails of one digest claimed together are sent together, by one task.
        groups: dict[str, list[int]] = {}
        units: list[list[int]] = []
        # Held live pushes are released by one task in id order, so a user's sockets get them in
        # the order they were created (each is one read and one publish: cheap).
        releases: list[int] = []
        # Broadcasts claimed together fan out together (``fanout.run``), by one task.
        broadcasts: list[int] = []
        for job_id, digest_key, channel_type in claimed:
            if channel_type == DeliveryChannel.WEBSOCKET:
                releases.append(job_id)
            elif channel_type == DeliveryChannel.BROADCAST:
                if not broadcasts:
                    units.append(broadcasts)
                broadcasts.append(job_id)
            elif digest_key is None:
                units.append([job_id])
            elif digest_key in groups:
                groups[digest_key].append(job_id)
            else:
                groups[digest_key] = [job_id]
                units.append(groups[digest_key])
        limiter = asyncio.Semaphore(self.settings.worker_concurrency)

        async def guarded(unit: list[int]) -> None:
            async with limiter:
                await self.process(unit[0], with_ids=unit[1:])

        async def release_in_order() -> None:
            async with limiter:
                for job_id in releases:
                    if self.stopping:
                        return  # released with the rest by ``stop``
                    await self.process(job_id)

        jobs = [asyncio.ensure_future(release_in_order())]
        jobs += [asyncio.ensure_future(guarded(unit)) for unit in units]
        self._jobs.update(jobs)  # a graceful stop waits for them, then cancels
        try:
            await asyncio.gather(*jobs)
        finally:
            self._jobs.difference_update(jobs)
        return len(claimed)

    async def claim(self, limit: int) -> list[tuple[int, str | None, str]]:
        """Lease up to ``limit`` due jobs to this worker: (id, digest key, channel type)."""
        now = self.clock.now()
        lease = now + timedelta(seconds=self.settings.delivery_lease_seconds)
        is_due = or_(
            Delivery.status.in_(DUE) & (Delivery.run_at <= now),
            (Delivery.status == DeliveryStatus.RUNNING) & (Delivery.lease_until < now),
        )
        due = (
            select(Delivery.id)
            .where(is_due)
            .order_by(Delivery.run_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.sessionmaker() as session:
            # Most polls find nothing: a read says so without taking SQLite's write lock.
            if await session.scalar(select(Delivery.id).where(is_due).limit(1)) is None:
                return []
        async with self.sessionmaker() as session, write_gate(session):
            claimed = (
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(due.scalar_subquery()))
                    .values(
                        status=DeliveryStatus.RUNNING,
                        lease_until=lease,
                        locked_by=self.worker_id,
                        attempts=Delivery.attempts + 1,
                    )
                    .returning(Delivery.id, Delivery.digest_key, Delivery.channel_type)
                    .execution_options(synchronize_session=False)
                )
            ).all()
            await session.commit()
        return sorted((int(row[0]), row[1], str(row[2])) for row in claimed)

    # ------------------------------------------------------------------ one job

    async def process(self, job_id: int, with_ids: Sequence[int] = ()) -> None:
        """Run one job (and the digest siblings or the broadcasts claimed with it), then record
        the outcome."""
        async with self.sessionmaker() as session:
            job = await session.get(Delivery, job_id)
            if (
                job is None
                or job.status != DeliveryStatus.RUNNING
                or job.locked_by != self.worker_id
            ):
                return
            started = time.perf_counter()
            error: DeliveryError | None = None
            skipped = False
            skipped_ids: set[int] = set()  # of the siblings: nothing left to do
            siblings: list[Delivery] = []
            try:
                if job.channel_type == DeliveryChannel.BROADCAST:
                    siblings = [
                        sibling
                        for sibling in await by_ids(session, Delivery, with_ids)
                        if sibling.locked_by == self.worker_id
                    ]
                    skipped_ids = await fanout.run(self, session, [job, *siblings])
                elif job.channel_type == DeliveryChannel.WEBSOCKET:
                    await self._release_live(session, job)
                else:
                    siblings = await by_ids(session, Delivery, with_ids)
                    siblings += await self._send(session, job, siblings)
            except Skip:
                skipped = True
            except Released:
                return  # still leased to this worker: ``release`` puts it back
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a bug or an unexpected library error: retry, keep going
                logger.exception("delivery %s failed unexpectedly", job_id)
                error = DeliveryError(f"internal error: {type(exc).__name__}")
            duration = time.perf_counter() - started
            await self._finish(session, [job, *siblings], error, skipped, duration, skipped_ids)

    async def _finish(
        self,
        session: AsyncSession,
        jobs: Sequence[Delivery],
        error: DeliveryError | None,
        skipped: bool,
        duration: float,
        skipped_ids: Collection[int] = (),
    ) -> None:
        now = self.clock.now()
        for job in jobs:
            skipped_job = skipped or job.id in skipped_ids
            outcome = "cancelled" if skipped_job else ("succeeded" if error is None else "failed")
            entry: dict[str, Any] = {
                "attempt": job.attempts,
                "at": now.isoformat(),
                "outcome": outcome,
                "duration_ms": round(duration * 1000, 1),
            }
            if error is not None:
                entry["error"] = str(error)[:500]
            job.attempt_log = [*job.attempt_log, entry]
            job.lease_until = None
            job.locked_by = None
            if skipped_job:
                job.status, job.completed_at = DeliveryStatus.CANCELLED, now
            elif error is None:
                job.status, job.completed_at, job.last_error = DeliveryStatus.SUCCEEDED, now, None
            else:
                job.last_error = str(error)[:2000]
                if error.permanent or job.attempts >= job.max_attempts:
                    job.status, job.completed_at = DeliveryStatus.DEAD, now
                    outcome = "dead"
                else:
                    job.status = DeliveryStatus.RETRYING
                    job.run_at = now + timedelta(
                        seconds=next_delay(job.attempts, error.retry_after)
                    )
                    outcome = "retry"
                if error.gone and job.target.get("subscription_id"):
                    await session.execute(
                        delete(PushSubscription).where(
                            PushSubscription.id == job.target["subscription_id"]
                        )
                    )
            metrics.DELIVERIES.labels(job.channel_type, outcome).inc()
            metrics.DELIVERY_DURATION.labels(job.channel_type).observe(duration)
        await session.commit()

    async def _notification(self, session: AsyncSession, job: Delivery) -> Notification:
        notification = (
            await session.get(Notification, job.notification_id) if job.notification_id else None
        )
        now = self.clock.now()
        if notification is None or (
            notification.expires_at is not None and notification.expires_at <= now
        ):
            raise Skip()
        return notification

    async def _release_live(self, session: AsyncSession, job: Delivery) -> None:
        """A notification held by quiet hours: push it live now, if still wanted."""
        notification = await self._notification(session, job)
        prefs = await preferences.get_preferences(session, user_id=notification.user_id)
        decision = preferences.decide(
            prefs,
            channel=DeliveryChannel.WEBSOCKET,
            type=notification.type,
            priority=notification.priority,
            now=self.clock.now(),
        )
        if not decision.allowed:
            raise Skip()
        if decision.hold_until is not None:  # the user moved their quiet hours: wait again
            raise DeliveryError(
                "still in quiet hours",
                retry_after=max(1.0, (decision.hold_until - self.clock.now()).total_seconds()),
            )
        if notification.seq is None:
            # Its place in the live stream, committed before any socket is told of it.
            notification.seq = await stream.next_position(session, user_id=notification.user_id)
            await session.commit()
        await events.created(self.broker, [notification])

    async def _send(
        self, session: AsyncSession, job: Delivery, claimed: Sequence[Delivery] = ()
    ) -> list[Delivery]:
        """Send on an external channel; returns further digest siblings sent along with it."""
        channel = await self._channel(session, job)
        siblings: list[Delivery] = []
        if job.notification_id is None and job.target.get("broadcast_id"):
            message = await fanout.announcement(session, job.target["broadcast_id"])
        elif job.notification_id is None and isinstance(job.target.get("announcement"), dict):
            message = _topic_announcement(job.target["announcement"])
        else:
            notifications = [await self._notification(session, job)]
            if job.digest_key:
                siblings = await self._claim_siblings(session, job)
                notifications += [
                    n
                    for s in [*claimed, *siblings]
                    if s.notification_id
                    and (n := await session.get(Notification, s.notification_id))
                ]
            message = await self._message(session, job, notifications)
        extra: dict[str, Any] = {}
        if job.channel_type == DeliveryChannel.WEBPUSH:
            subscription = await session.get(PushSubscription, job.target.get("subscription_id"))
            if subscription is None:
                raise Skip()
            extra["subscription"] = {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            }
        context = SendContext(
            delivery_id=job.id,
            attempt=job.attempts,
            channel_name=channel.name,
            policy=policy_for(self.settings),
            extra=extra,
        )
        try:
            config = channel_service.plain_config(channel, self.settings.keyring)
        except SecretUnreadable as exc:  # retried: restoring the key lets it through
            raise DeliveryError(str(exc)) from None
        await CHANNEL_TYPES[channel.type].send(config, message, context=context)
        return siblings

    async def _channel(self, session: AsyncSession, job: Delivery) -> NotificationChannel:
        if job.channel_type == DeliveryChannel.WEBPUSH:
            channel = await channel_service.webpush_channel(
                session,
                subject=f"mailto:{self.settings.admin_email}",
                keyring=self.settings.keyring,
            )
        else:
            channel = (
                await session.get(NotificationChannel, job.channel_id) if job.channel_id else None
            )
        if channel is None or not channel.is_active:
            raise Skip()
        return channel

    async def _claim_siblings(self, session: AsyncSession, job: Delivery) -> list[Delivery]:
        """Other e-mails of the same digest: claimed now, sent as one message."""
        now = self.clock.now()
        rows = (
            await session.scalars(
                select(Delivery)
                .where(
                    Delivery.digest_key == job.digest_key,
                    Delivery.status.in_(DUE),
                )
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            row.status, row.locked_by, row.attempts = (
                DeliveryStatus.RUNNING,
                self.worker_id,
                row.attempts + 1,
            )
            row.lease_until = now + timedelta(seconds=self.settings.delivery_lease_seconds)
        await session.flush()
        return list(rows)

    async def _message(
        self, session: AsyncSession, job: Delivery, notifications: list[Notification]
    ) -> OutgoingMessage:
        user = await directory.contact(session, user_id=job.user_id) if job.user_id else None
        first = notifications[0]
        items = [events.notification_payload(n) for n in notifications]
        if len(notifications) > 1:
            return OutgoingMessage(
                title=f"{len(notifications)} notifications from WakeDock",
                body=f"You have {len(notifications)} new notifications.",
                notifications=items,
                type=first.type,
                priority=max((n.priority for n in notifications), key=lambda p: Priority(p).rank),
                recipient_email=user.email if user else None,
                recipient_name=user.username if user else None,
                event="digest",
            )
        return OutgoingMessage(
            title=first.title,
            body=first.message,
            notifications=items,
            type=first.type,
            priority=first.priority,
            url=first.action_url,
            email_subject=job.target.get("subject"),
            email_html=job.target.get("html"),
            recipient_email=user.email if user else None,
            recipient_name=user.username if user else None,
        )

    # ------------------------------------------------------------------ housekeeping

    async def release_scheduled(self) -> int:
        """Send the scheduled creates that are due (``notifications/scheduled.py``)."""
        return await scheduled.release_due(
            self.sessionmaker, now=self.clock.now(), broker=self.broker
        )

    async def maintenance(self) -> None:
        """Purge expired notifications and refresh the queue gauges."""
        self._last_maintenance = time.monotonic()
        now = self.clock.now()
        async with self.sessionmaker() as session:
            await maintenance.purge_expired(session, now=now)
            counts = dict(
                (
                    await session.execute(
                        select(Delivery.status, func.count())
                        .where(Delivery.status.not_in(DONE))
                        .group_by(Delivery.status)
                    )
                ).all()
            )
            oldest = await session.scalar(
                select(func.min(Delivery.run_at)).where(
                    Delivery.status.in_(DUE), Delivery.run_at <= now
                )
            )
        for status in (*DUE, DeliveryStatus.RUNNING):
            metrics.QUEUE_DEPTH.labels(status).set(counts.get(status, 0))
        metrics.OLDEST_PENDING.set((now - oldest).total_seconds() if oldest else 0)


def _topic_announcement(sent: dict[str, Any]) -> OutgoingMessage:
    """The one message a topic send names a channel for (``queue.announcements``)."""
    return OutgoingMessage(
        title=str(sent.get("title", "")),
        body=str(sent.get("message") or ""),
        type=str(sent.get("type", "info")),
        priority=str(sent.get("priority", "normal")),
        url=sent.get("action_url"),
        event="topic",
    )
