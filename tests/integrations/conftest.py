"""Helpers for the integrations tests: create an integration as the admin, sign a body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Create = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def create_integration(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> Create:
    async def create(kind: str, name: str | None = None, **body: Any) -> dict[str, Any]:
        body.setdefault("target", {"roles": ["admin"]})
        response = await client.post(
            "/api/integrations",
            json={"kind": kind, "name": name or f"{kind}-test", **body},
            headers=admin_headers,
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    return create


def alert(
    status: str = "firing",
    *,
    fingerprint: str = "a1b2c3d4e5f60718",
    severity: str = "critical",
    summary: str = "Disk almost full",
    description: str = "/var is 97% full",
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "DiskFull", "severity": severity, "instance": "web-1"},
        "annotations": {"summary": summary, "description": description},
        "startsAt": "2026-12-05T20:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-05T20:05:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def alertmanager_payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's webhook body, version 4 (as its notify/webhook package sends it)."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
        "status": alerts[0]["status"] if alerts else "firing",
        "receiver": "wakedock",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }
