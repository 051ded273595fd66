"""A renderer subprocess: ``python -m wakedock.notifications.templates.renderer``.

Renders templates for the server (``pool.py``), one request at a time, one JSON object per
line on stdin, one answer per line on stdout. Its invariant: whatever a template does, the
server's event loop and memory are untouched — the worst a template can do is use up *this*
process, which the parent kills at the deadline and replaces.

Limits applied to itself before the first request (Linux ``setrlimit``): address space
(``--memory-mb``: an allocation beyond it is a MemoryError, answered as kind ``memory``, after
which the process exits so a fresh one takes over), no core files, and a CPU
limit raised before each request to the CPU used so far plus ``--cpu-seconds`` (a backstop:
the kernel ends a render the parent failed to kill). It imports only Jinja2 and ``sandbox``,
not the web stack, and is started with an empty environment (no secrets to read even if the
sandbox failed).

Protocol: the first line out is ``{"ready": true}``. A request is
``{"source": str, "html": bool, "strict": bool, "variables": {...}}``; the answer
``{"ok": true, "text": str}`` or ``{"ok": false, "kind", "message", "line", "exit"}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import IO, Any

from wakedock.notifications.templates.sandbox import TemplateProblem, render


def _limit(name: str, soft: int, *, lower_hard: bool) -> None:
    """Set a soft limit (and the hard one too when ``lower_hard``: it can never be raised)."""
    import resource

    which = getattr(resource, name, None)
    if which is None:
        return
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    # Not permitted here: the parent's deadline still holds.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (soft, soft if lower_hard else hard))


def _cpu_used() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def answer(request: dict[str, Any], *, max_output: int) -> dict[str, Any]:
    """One request → one answer (pure, apart from what the template costs)."""
    try:
        text = render(
            request["source"],
            request.get("variables") or {},
            html=bool(request.get("html")),
            strict=bool(request.get("strict", True)),
            max_output=max_output,
        )
    except TemplateProblem as exc:
        return {
            "ok": False,
            "kind": exc.kind,
            "message": exc.message,
            "line": exc.line,
            "exit": exc.kind == "memory",
        }
    return {"ok": True, "text": text}


def _write(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")  # ASCII: lone surrogates survive
    out.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="wakedock-renderer")
    parser.add_argument("--max-output", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args = parser.parse_args(argv)

    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the protocol stream
    source = sys.stdin.buffer
    _limit("RLIMIT_CORE", 0, lower_hard=True)
    _limit("RLIMIT_AS", args.memory_mb * 1024 * 1024, lower_hard=True)
    _write(out, {"ready": True})
    for line in source:
        if not line.strip():
            continue
        _limit("RLIMIT_CPU", int(_cpu_used()) + args.cpu_seconds, lower_hard=False)
        try:
            request = json.loads(line)
        except (ValueError, RecursionError, MemoryError):
            _write(out, {"ok": False, "kind": "error", "message": "bad request", "exit": False})
            continue
        try:
            reply = answer(request, max_output=args.max_output)
        except MemoryError:  # raised while answering, outside the template
            reply = {"ok": False, "kind": "memory", "message": "out of memory", "exit": True}
        del request
        _write(out, reply)
        if reply.get("exit"):
            return


if __name__ == "__main__":
    main()
