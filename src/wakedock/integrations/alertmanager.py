"""Alertmanager's webhook payload (version 4) and Grafana alerting's webhook contact point
payload (the same shape, with a few URLs more), mapped to one ``Item`` per alert.

- One notification per alert; its group_key is the integration and the alert's fingerprint,
  so the resolved notification replaces the firing one (and a repeated firing replaces the
  previous firing: Alertmanager re-sends every ``repeat_interval``).
- Priority from the ``severity`` label: critical → urgent, warning → high, anything else →
  normal. A resolved alert is normal whatever its severity: the all-clear should not page.
- Title: the ``summary`` annotation, else the ``alertname`` label; message: the
  ``description`` annotation (Grafana: else the alert's ``valueString``). A resolved title
  starts with "Resolved: ".
- Action URL: Grafana's panel, then dashboard URL, then the ``generatorURL`` (http(s) only).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from wakedock.integrations.items import KEY_MAX, MESSAGE_MAX, TITLE_MAX, Item, clip, web_url
from wakedock.notifications.schemas import NotificationType, Priority

_Text = Annotated[str, StringConstraints(max_length=65_536)]
_Labels = dict[Annotated[str, StringConstraints(max_length=1024)], _Text]

SEVERITY_PRIORITY = {"critical": Priority.URGENT, "warning": Priority.HIGH}
MAX_ALERTS = 1000


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Annotated[str, StringConstraints(max_length=16)] = "firing"
    labels: _Labels = Field(default_factory=dict)
    annotations: _Labels = Field(default_factory=dict)
    startsAt: _Text | None = None
    endsAt: _Text | None = None
    generatorURL: _Text | None = None
    fingerprint: Annotated[str, StringConstraints(max_length=64)] | None = None
    # Grafana's additions
    dashboardURL: _Text | None = None
    panelURL: _Text | None = None
    valueString: _Text | None = None


class Payload(BaseModel):
    """The webhook body both send (fields WakeDock reads; the others are ignored)."""

    model_config = ConfigDict(extra="ignore")

    version: Annotated[str, StringConstraints(max_length=16)] | None = None
    status: Annotated[str, StringConstraints(max_length=16)] | None = None
    receiver: _Text | None = None
    externalURL: _Text | None = None
    alerts: Annotated[list[Alert], Field(max_length=MAX_ALERTS)] = Field(default_factory=list)


def fingerprint(alert: Alert) -> str:
    """The alert's fingerprint, or one computed from its labels (Alertmanager's identity of an
    alert) when the sender gives none."""
    if alert.fingerprint:
        return alert.fingerprint
    encoded = "\x00".join(f"{k}\x00{v}" for k, v in sorted(alert.labels.items()))
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def priority(alert: Alert) -> str:
    if alert.status == "resolved":
        return Priority.NORMAL.value
    severity = alert.labels.get("severity", "").strip().lower()
    return SEVERITY_PRIORITY.get(severity, Priority.NORMAL).value


def item(alert: Alert, *, source: str, integration_id: int) -> Item:
    resolved = alert.status == "resolved"
    name = alert.labels.get("alertname") or "Alert"
    title = alert.annotations.get("summary") or name
    if resolved:
        title = f"Resolved: {title}"
    message = alert.annotations.get("description") or alert.valueString or ""
    url = web_url(alert.panelURL) or web_url(alert.dashboardURL) or web_url(alert.generatorURL)
    key = f"{source}:{integration_id}:{fingerprint(alert)}"[:KEY_MAX]
    data: dict[str, Any] = {
        "source": source,
        "status": alert.status,
        "fingerprint": fingerprint(alert),
        "labels": {clip(k, 128): clip(v, 256) for k, v in list(alert.labels.items())[:50]},
        "starts_at": alert.startsAt,
        "ends_at": alert.endsAt,
    }
    return Item(
        title=clip(title.strip() or name, TITLE_MAX),
        message=clip(message, MESSAGE_MAX),
        type=NotificationType.MONITORING.value,
        priority=priority(alert),
        action_url=url,
        group_key=key,
        data={k: (clip(v, 1024) if isinstance(v, str) else v) for k, v in data.items()},
    )


def items(payload: Payload, *, source: str, integration_id: int) -> list[Item]:
    """One item per alert, in the payload's order."""
    return [item(a, source=source, integration_id=integration_id) for a in payload.alerts]
