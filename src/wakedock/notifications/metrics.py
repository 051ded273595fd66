"""Prometheus metrics of the notifications domain."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NOTIFICATIONS_CREATED = Counter(
    "wakedock_notifications_created_total", "Notifications stored", ["type", "priority"]
)
DELIVERIES = Counter(
    "wakedock_deliveries_total", "Delivery attempts by channel and outcome", ["channel", "outcome"]
)
DELIVERY_DURATION = Histogram(
    "wakedock_delivery_duration_seconds",
    "Time spent on one delivery attempt",
    ["channel"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE_DEPTH = Gauge("wakedock_delivery_queue_depth", "Deliveries waiting, by status", ["status"])
OLDEST_PENDING = Gauge(
    "wakedock_delivery_oldest_pending_seconds", "Age of the oldest due delivery not yet done"
)
