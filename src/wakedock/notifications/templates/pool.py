"""Template rendering off the event loop: a small pool of renderer subprocesses, a deadline.

The invariant: no template, whatever it does, can stall the server or exhaust its memory.
Before this, a preview of two nested ``range(10000)`` loops stalled every request for 3-7 s
and ``{{ 'a'*10**9 }}`` stalled the server 33 s at 4 GB. Python threads cannot be stopped, so
renders run in long-lived subprocesses (``renderer.py``), each under an address-space limit;
a render that passes its deadline gets its process killed (and reaped), and answers a 422
"took longer than N ms". A replacement starts lazily on the next render.

- At most ``processes`` renders run at once; one more waits for a free process, for at most
  four deadlines and at least 5 s (then 503 with Retry-After: every renderer is busy with slow
  templates). A burst at start-up waits for the first processes to start.
- The deadline counts the render only: starting a process (~0.1-0.3 s) is not the template's.
- A process that crashed, ran out of memory or was cancelled mid-render (the client went away)
  is never reused: killed, reaped by a task the pool awaits at shutdown (``aclose``, from the
  app's lifespan), so nothing outlives the app.
- Parts without any markup (a fixed URL, a plain subject) are answered here, without a round
  trip (``sandbox.literal``); a create that names no template never reaches this module.

Measured on the 2-core development VM, title and message of a small template: 1.6 ms rendered
in-process as before (compiled at every render), median 0.2 ms (p90 0.3 ms) through a warm
renderer, which caches compiled templates; ~2 us for parts without markup; starting a renderer
~0.2 s (once, outside the deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wakedock
from wakedock.errors import ServiceUnavailable, ValidationFailed
from wakedock.notifications.templates.sandbox import literal

logger = logging.getLogger(__name__)

_STREAM_LIMIT = 64 * 1024 * 1024  # one answer line: a few parts of ≤ max_output characters
_START_TIMEOUT = 30.0
_QUEUE_WAIT = 5.0
# Where ``wakedock`` is imported from: the renderer runs with an empty environment.
_PACKAGE_ROOT = str(Path(wakedock.__file__).resolve().parent.parent)


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """What one render may use (from the settings ``WAKEDOCK_TEMPLATE_*``)."""

    timeout_ms: int = 1000
    max_output_chars: int = 100_000
    max_source_chars: int = 50_000
    memory_mb: int = 256
    processes: int = 2


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a template: the request field it came from, its source, HTML or text."""

    field: str
    source: str
    html: bool = False


class _Process:
    """One renderer subprocess; used by one render at a time."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def ask(self, request: bytes) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(request)
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise ConnectionError(f"renderer exited (code {await self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer


class TemplateRenderer:
    """The pool. Renders each part of a template; any problem is a 422 naming the part."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.processes)
        self._idle: list[_Process] = []
        self._all: set[_Process] = set()
        self._reaping: set[asyncio.Task[None]] = set()
        self.started = 0  # processes started so far (tests check the fast paths with it)

    async def render(
        self, parts: Sequence[Part], variables: Mapping[str, Any], *, strict: bool = True
    ) -> dict[str, str]:
        """Every part rendered (by field). ``strict=False``: the trial render of a template
        being saved (undefined names are empty; only syntax and limits are errors)."""
        results: dict[str, str] = {}
        remote: list[Part] = []
        for part in parts:
            if len(part.source) > self.limits.max_source_chars:
                raise ValidationFailed(
                    f"{part.field}: longer than {self.limits.max_source_chars} characters",
                    field=f"body.{part.field}",
                )
            text = literal(part.source)
            if text is not None and len(text) <= self.limits.max_output_chars:
                results[part.field] = text
            else:
                remote.append(part)
        if remote:
            results.update(await self._render_remote(remote, variables, strict=strict))
        return results

    async def _render_remote(
        self, parts: Sequence[Part], variables: Mapping[str, Any], *, strict: bool
    ) -> dict[str, str]:
        encoded_variables = json.dumps(dict(variables))
        timeout = self.limits.timeout_ms / 1000
        try:
            await asyncio.wait_for(self._slots.acquire(), max(_QUEUE_WAIT, 4 * timeout))
        except TimeoutError:
            raise ServiceUnavailable(
                "Every template renderer is busy; try again shortly",
                code="renderers_busy",
                headers={"Retry-After": "1"},
            ) from None
        try:
            process = self._idle.pop() if self._idle else await self._start()
            results: dict[str, str] = {}
            reusable = False
            part = parts[0]
            try:
                async with asyncio.timeout(timeout):
                    for part in parts:
                        answer = await process.ask(_request(part, encoded_variables, strict))
                        # A process that ran out of memory exits after answering.
                        reusable = not answer.get("exit")
                        if answer.get("ok"):
                            results[part.field] = str(answer["text"])
                        else:
                            self._problem(part, answer, strict=strict)
            except TimeoutError:
                reusable = False
                raise ValidationFailed(
                    f"{part.field}: rendering took longer than {self.limits.timeout_ms} ms",
                    field=f"body.{part.field}",
                ) from None
            except (ConnectionError, OSError, ValueError) as exc:
                reusable = False
                logger.warning("template renderer failed: %s", exc)
                raise ValidationFailed(
                    f"{part.field}: rendering failed (the renderer stopped)",
                    field=f"body.{part.field}",
                ) from None
            except BaseException:  # a 422 keeps the process; a cancellation does not
                reusable = reusable and sys.exc_info()[0] is ValidationFailed
                raise
            finally:
                if reusable and process.proc.returncode is None:
                    self._idle.append(process)
                else:
                    self._discard(process)
            return results
        finally:
            self._slots.release()

    def _problem(self, part: Part, answer: dict[str, Any], *, strict: bool) -> None:
        """Raise the 422 for a part the renderer refused (a trial ignores what depends on
        the variables: only syntax, limits and memory refuse a template being saved)."""
        kind, message = answer.get("kind"), str(answer.get("message", ""))
        if not strict and kind not in ("syntax", "limit", "memory"):
            return
        field = f"body.{part.field}"
        if kind == "syntax":
            text = f"{part.field}: template syntax error on line {answer.get('line')}: {message}"
        elif kind == "undefined":
            text, field = f"{part.field}: missing variable: {message}", "body.variables"
        elif kind == "security":
            text = f"{part.field}: not allowed in a template: {message}"
        elif kind == "memory":
            text = f"{part.field}: rendering needed more than {self.limits.memory_mb} MiB"
        elif kind == "limit":
            text = f"{part.field}: {message}"
        else:
            text = f"{part.field}: render failed: {message}"
        raise ValidationFailed(text, field=field)

    async def _start(self) -> _Process:
        python_path = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p
        )
        limits = self.limits
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "wakedock.notifications.templates.renderer",
                "--max-output",
                str(limits.max_output_chars),
                "--memory-mb",
                str(limits.memory_mb),
                "--cpu-seconds",
                str(max(1, -(-limits.timeout_ms // 1000)) + 1),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={"PYTHONPATH": python_path, "PYTHONDONTWRITEBYTECODE": "1"},
                limit=_STREAM_LIMIT,
            )
        except OSError as exc:
            logger.error("could not start a template renderer: %s", exc)
            raise ServiceUnavailable("Template rendering is unavailable") from None
        process = _Process(proc)
        self._all.add(process)
        self.started += 1
        assert proc.stdout is not None
        try:
            ready = await asyncio.wait_for(proc.stdout.readline(), _START_TIMEOUT)
        except BaseException:
            self._discard(process)
            raise
        if not ready.startswith(b'{"ready"'):
            self._discard(process)
            logger.error("a template renderer did not start (%r)", ready[:200])
            raise ServiceUnavailable("Template rendering is unavailable")
        return process

    def _discard(self, process: _Process) -> None:
        """Kill a process that may be mid-render and reap it in the background."""
        self._all.discard(process)
        with contextlib.suppress(ProcessLookupError):
            process.proc.kill()
        task = asyncio.get_running_loop().create_task(self._reap(process))
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)

    @staticmethod
    async def _reap(process: _Process) -> None:
        if process.proc.stdin is not None:
            process.proc.stdin.close()
        await process.proc.wait()

    async def aclose(self) -> None:
        """Stop every renderer process (the app's lifespan calls this at shutdown)."""
        self._idle.clear()
        for process in list(self._all):
            self._discard(process)
        while self._reaping:
            await asyncio.gather(*self._reaping, return_exceptions=True)

    @property
    def running(self) -> int:
        """Renderer processes alive now."""
        return len(self._all)


def _request(part: Part, encoded_variables: str, strict: bool) -> bytes:
    head = json.dumps({"source": part.source, "html": part.html, "strict": strict})
    return f'{head[:-1]}, "variables": {encoded_variables}}}\n'.encode()


__all__ = ["Part", "RenderLimits", "TemplateRenderer"]
