"""The pure mappings: an Alertmanager/Grafana alert to an item (table of cases)."""

from __future__ import annotations

from typing import Any

import pytest

from wakedock.integrations.alertmanager import Alert, fingerprint, item
from wakedock.integrations.items import Item, clip, unique_keys, web_url


@pytest.mark.parametrize(
    ("fields", "title", "priority", "url"),
    [
        ({"labels": {"severity": "critical"}}, "Alert", "urgent", None),
        ({"labels": {"severity": "WARNING ", "alertname": "Load"}}, "Load", "high", None),
        ({"labels": {"severity": "page"}}, "Alert", "normal", None),
        (
            {"status": "resolved", "labels": {"severity": "critical"}},
            "Resolved: Alert",
            "normal",
            None,
        ),
        ({"annotations": {"summary": "  "}, "labels": {"alertname": "X"}}, "X", "normal", None),
        ({"generatorURL": "javascript:alert(1)"}, "Alert", "normal", None),
        ({"generatorURL": "https://p/graph"}, "Alert", "normal", "https://p/graph"),
        (
            {"generatorURL": "https://p/g", "dashboardURL": "https://g/d", "panelURL": ""},
            "Alert",
            "normal",
            "https://g/d",
        ),
        ({"annotations": {"summary": "s" * 400}}, "s" * 254 + "…", "normal", None),
    ],
)
def test_alert_item(fields: dict[str, Any], title: str, priority: str, url: str | None) -> None:
    made = item(Alert.model_validate(fields), source="alertmanager", integration_id=3)
    assert made.title == title
    assert made.priority == priority
    assert made.action_url == url
    assert made.type == "monitoring"
    assert made.group_key is not None
    assert made.group_key.startswith("alertmanager:3:")


def test_fingerprint_without_one_is_stable_per_labels() -> None:
    a = Alert.model_validate({"labels": {"a": "1", "b": "2"}})
    b = Alert.model_validate({"labels": {"b": "2", "a": "1"}})
    c = Alert.model_validate({"labels": {"a": "1", "b": "3"}})
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)
    assert fingerprint(Alert.model_validate({"fingerprint": "abc"})) == "abc"


def test_helpers() -> None:
    assert clip(None, 5) == ""
    assert clip("abcdef", 5) == "abcd…"
    assert web_url("HTTPS://x") == "HTTPS://x"
    assert web_url("ftp://x") is None
    assert web_url("https://" + "x" * 3000) is None
    items = [Item("a", group_key="k"), Item("b"), Item("c", group_key="k")]
    assert [i.title for i in unique_keys(items)] == ["b", "c"]
