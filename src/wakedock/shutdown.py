"""Graceful stop: what ``wakedock serve`` does on SIGTERM (or SIGINT) before it exits.

Uvicorn, on the signal, closes its listening sockets, then waits for open connections to end
(at most ``shutdown_grace_seconds``: ``timeout_graceful_shutdown``), and only then runs the
app's lifespan shutdown. Left at that, an SSE stream (which never ends by itself) would hold
the process for the whole grace, and the delivery worker would be cancelled mid-job, its
leases left to expire (``delivery_lease_seconds``) before the next start could take them.

So at the signal itself (the handler below runs before Uvicorn's):

1. the hub drains: every WebSocket is closed with 1012 (service restart) and every SSE
   stream ends with an ``event: close`` carrying 1012, so clients reconnect at once and
   resume with ``since`` on the next server; a socket opened meanwhile gets the same;
2. the delivery worker stops claiming; in-flight jobs get the grace to end (a broadcast stops
   at its next batch boundary), then are cancelled; its leases are released, due at once.

The lifespan shutdown waits for this to end (``finish``), so the process exits within about
the grace, and a process stopped without the signal (tests, an in-process app) drains too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from wakedock.notifications.delivery.worker import DeliveryWorker
from wakedock.realtime.hub import Hub

logger = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class GracefulStop:
    def __init__(self, *, hub: Hub, worker: DeliveryWorker | None, grace: float) -> None:
        self.hub = hub
        self.worker = worker
        self.grace = grace
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """Start draining (idempotent; returns at once)."""
        if self._task is None:
            logger.info("stopping: closing sockets with 1012, stopping the delivery worker")
            self.hub.drain()
            self._task = asyncio.get_running_loop().create_task(self._stop_worker())

    async def finish(self) -> None:
        """Drain if not yet begun, and wait until it is done."""
        self.begin()
        assert self._task is not None
        await self._task

    async def _stop_worker(self) -> None:
        if self.worker is None:
            return
        try:
            await self.worker.stop(self.grace)
        except Exception:
            # The leases then expire as after a crash: retried, only later.
            logger.exception("could not release the delivery worker's leases")

    @asynccontextmanager
    async def on_signals(self) -> AsyncIterator[None]:
        """Begin draining when the process is told to stop, then let the handler installed
        before (Uvicorn's) do its part. Restores that handler on exit. Main thread only."""
        loop = asyncio.get_running_loop()
        previous: dict[signal.Signals, Any] = {}

        def handler(sig: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(self.begin)
            before = previous.get(signal.Signals(sig))
            if callable(before):
                before(sig, frame)

        for sig in SIGNALS:
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for number, before in previous.items():
                if before is not None:
                    signal.signal(number, before)


async def run_worker(worker: DeliveryWorker, grace: float) -> None:
    """``wakedock worker``: work until SIGTERM or SIGINT, then stop as ``serve`` does (nothing
    more claimed, in-flight jobs given ``grace``, leases released)."""
    loop = asyncio.get_running_loop()
    signalled = asyncio.Event()
    for sig in SIGNALS:
        loop.add_signal_handler(sig, signalled.set)
    work = asyncio.ensure_future(worker.run())
    told = asyncio.ensure_future(signalled.wait())
    logger.info("delivery worker %s running (SIGTERM stops it gracefully)", worker.worker_id)
    try:
        await asyncio.wait({work, told}, return_when=asyncio.FIRST_COMPLETED)
        if work.done():
            work.result()  # ended by itself: its error, if any
            return
        released = await worker.stop(grace)
        logger.info("delivery worker stopped (%d lease(s) released)", released)
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
        told.cancel()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
