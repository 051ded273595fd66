"""The built-in ``system`` source: this host's CPU, memory, disks, network, load and uptime."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

import psutil

from wakedock.dashboards.sources.base import FetchContext, SourceError
from wakedock.settings import Settings

kind = "system"
personal = False
secret_keys: tuple[str, ...] = ()
config_schema: dict[str, Any] = {
    "type": "object",
    "properties": {
        "disk_paths": {
            "type": "array",
            "items": {"type": "string", "pattern": "^/", "maxLength": 255},
            "minItems": 1,
            "maxItems": 16,
            "uniqueItems": True,
            "description": "Mount points whose usage the disk metric reports",
        },
        "cpu_sample_seconds": {"type": "number", "minimum": 0.05, "maximum": 2},
    },
    "additionalProperties": False,
}
DEFAULT_CONFIG: dict[str, Any] = {"disk_paths": ["/"], "cpu_sample_seconds": 0.25}

# Network rates need the previous counters: (monotonic time, bytes_sent, bytes_recv).
_last_net: tuple[float, int, int] | None = None
_net_lock = threading.Lock()


async def check_config(config: dict[str, Any], settings: Settings) -> None:
    return None


def _disk(paths: list[str]) -> list[dict[str, Any]]:
    disks: list[dict[str, Any]] = []
    for path in paths:
        try:
            usage = psutil.disk_usage(path)
        except OSError as exc:
            disks.append({"path": path, "error": exc.strerror or type(exc).__name__})
            continue
        disks.append(
            {
                "path": path,
                "total": usage.total,
                "used": usage.used,
                "free": usage.free,
                "percent": usage.percent,
            }
        )
    return disks


def _network() -> dict[str, Any]:
    global _last_net
    counters = psutil.net_io_counters()
    now = time.monotonic()
    sent_rate: float | None = None
    recv_rate: float | None = None
    with _net_lock:
        if _last_net is not None and now - _last_net[0] > 0:
            elapsed = now - _last_net[0]
            sent_rate = max(0.0, (counters.bytes_sent - _last_net[1]) / elapsed)
            recv_rate = max(0.0, (counters.bytes_recv - _last_net[2]) / elapsed)
        _last_net = (now, counters.bytes_sent, counters.bytes_recv)
    return {
        "bytes_sent": counters.bytes_sent,
        "bytes_recv": counters.bytes_recv,
        "packets_sent": counters.packets_sent,
        "packets_recv": counters.packets_recv,
        "sent_per_second": sent_rate,
        "recv_per_second": recv_rate,
    }


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """One reading of every metric (blocking: it waits ``cpu_sample_seconds`` for the CPU)."""
    settings = {**DEFAULT_CONFIG, **config}
    per_cpu = psutil.cpu_percent(interval=float(settings["cpu_sample_seconds"]), percpu=True)
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    boot = psutil.boot_time()
    return {
        "cpu": {
            "percent": round(sum(per_cpu) / len(per_cpu), 1) if per_cpu else 0.0,
            "per_cpu": per_cpu,
            "count": psutil.cpu_count() or len(per_cpu),
        },
        "memory": {
            "total": memory.total,
            "available": memory.available,
            "used": memory.total - memory.available,
            "percent": memory.percent,
            "swap_total": swap.total,
            "swap_used": swap.used,
            "swap_percent": swap.percent,
        },
        "disk": _disk(list(settings["disk_paths"])),
        "network": _network(),
        "load": {"1m": load[0], "5m": load[1], "15m": load[2]},
        "uptime_seconds": round(time.time() - boot, 1),
        "boot_time": datetime.fromtimestamp(boot, UTC).isoformat(),
    }


async def fetch(config: dict[str, Any], query: dict[str, Any], ctx: FetchContext) -> Any:
    try:
        return await asyncio.to_thread(sample, config)
    except (OSError, RuntimeError) as exc:
        raise SourceError("system_unavailable", f"Cannot read host metrics ({exc})") from None
