"""Background tasks of the real-time side, each one referenced until it ends.

The event loop keeps only a weak reference to a task: one started with ``create_task`` and
not kept may be garbage-collected mid-flight (the asyncio documentation's warning), and its
failure is reported, if ever, as "Task exception was never retrieved" at some later
collection. So every task the hub or a connection starts in the background (an auto-read, a
gap fill, a permission check, a close) goes into a ``TaskSet``: held until done, dropped on
done, and a failure it ended with logged at ERROR with what the task was doing. The tasks
themselves catch and log what they expect; this catches what they did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSet:
    """Tasks started in the background and kept referenced until each is done."""

    __slots__ = ("_tasks", "what")

    def __init__(self, what: str) -> None:
        self.what = what  # named in the log when one of them fails
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("background task failed (%s)", self.what, exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)


async def cancel_and_wait(task: asyncio.Task[Any] | asyncio.Future[Any], what: str) -> None:
    """Cancel ``task`` and wait until it has ended. Its cancellation is expected; an
    exception it ended with while being cancelled is logged (WARNING), not raised. A task
    that had already ended is left as it is: whoever saw it end saw its result."""
    if task.done():
        if not task.cancelled():
            task.exception()  # retrieved: its owner raised or logged it already
        return
    task.cancel()
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    except Exception:
        logger.warning("%s failed while being cancelled", what, exc_info=True)
