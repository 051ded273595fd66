"""How often each fast path ran, exported as ``wakedock_fast_path_uses_total{path}``.

Three speed-ups lean on libraries' private internals: the direct socket writer (Uvicorn's
websockets-sansio protocol), the gateway's create and broadcast paths (served under the
framework; Gotify's and ntfy's publishes too, ``compat.direct``), and SQLite's one-trip cursor
(aiosqlite's connection thread). If an upgrade changes those
internals, each falls back to the ordinary path and everything still works, only slower, with
no error anywhere. Counting the uses makes that visible: ``tests/system/test_fast_paths.py``
asserts each is in use in a real ``wakedock serve``, and a dashboard can alert on a rate of 0.

The counts are plain integers bumped on the hot paths (a dict increment, no lock: one event
loop per process writes them) and read only when ``/metrics`` is scraped.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

SOCKET_DIRECT_WRITE = "socket_direct_write"
GATEWAY_CREATE = "gateway_create"
GATEWAY_BROADCAST = "gateway_broadcast"
SQLITE_ONE_TRIP = "sqlite_one_trip"
GATEWAY_GOTIFY_PUBLISH = "gateway_gotify_publish"
GATEWAY_NTFY_PUBLISH = "gateway_ntfy_publish"

USES: dict[str, int] = {
    SOCKET_DIRECT_WRITE: 0,
    GATEWAY_CREATE: 0,
    GATEWAY_BROADCAST: 0,
    SQLITE_ONE_TRIP: 0,
    GATEWAY_GOTIFY_PUBLISH: 0,
    GATEWAY_NTFY_PUBLISH: 0,
}


class _UsesCollector(Collector):
    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "wakedock_fast_path_uses",
            "Times each fast path ran (0 while traffic flows: an upgrade disabled it)",
            labels=["path"],
        )
        for path, count in USES.items():
            family.add_metric([path], count)
        yield family


REGISTRY.register(_UsesCollector())
