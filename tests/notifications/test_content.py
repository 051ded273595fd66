"""A request's content: one rule for a create and a broadcast (``notifications.content``)."""

from __future__ import annotations

from typing import Any

import pytest

from wakedock.notifications.broadcast.schemas import BroadcastIn
from wakedock.notifications.content import Resolved, resolve
from wakedock.notifications.schemas import NotificationCreate
from wakedock.notifications.templates.schemas import Rendered

RENDERED = Rendered(
    title="T",
    message="M",
    action_url="https://t.example/",
    email_subject="S",
    email_html="<p>H</p>",
    type="warning",
    priority="high",
    ttl_seconds=60,
)
TARGET = {"target": {"all": True}}


@pytest.mark.parametrize(
    ("fields", "rendered", "expected"),
    [
        (
            {"title": "x"},
            None,
            Resolved("x", "", "info", "normal", None, None),
        ),
        (
            {"title": "x", "message": "m", "type": "error", "priority": "urgent", "ttl_seconds": 5},
            None,
            Resolved("x", "m", "error", "urgent", None, 5),
        ),
        (
            {"title": "x", "action_url": "https://a.example/"},
            None,
            Resolved("x", "", "info", "normal", "https://a.example/", None),
        ),
        (
            {"template": "t"},
            RENDERED,
            Resolved("T", "M", "warning", "high", "https://t.example/", 60, "S", "<p>H</p>"),
        ),
        (
            {
                "template": "t",
                "type": "success",
                "priority": "low",
                "action_url": "https://b.example/",
                "ttl_seconds": 7,
            },
            RENDERED,
            Resolved("T", "M", "success", "low", "https://b.example/", 7, "S", "<p>H</p>"),
        ),
        (
            {"template": "t"},
            Rendered(title="T", message="", type="info", priority="normal"),
            Resolved("T", "", "info", "normal", None, None),
        ),
    ],
)
def test_a_create_and_a_broadcast_resolve_their_content_alike(
    fields: dict[str, Any], rendered: Rendered | None, expected: Resolved
) -> None:
    """The rule was written twice (sending and the broadcast service); both bodies now give
    the same content for the same fields."""
    assert resolve(NotificationCreate.model_validate(fields), rendered) == expected
    assert resolve(BroadcastIn.model_validate({**fields, **TARGET}), rendered) == expected
