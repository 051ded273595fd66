"""Widgets computed from their own config: text (markdown) and quick_actions (buttons)."""

from __future__ import annotations

from typing import Any

from wakedock.dashboards.markdown import render as render_markdown
from wakedock.dashboards.widgets.base import JSON, Size, WidgetType, object_schema

# Actions the server runs for the viewer (POST /api/dashboards/widgets/{id}/actions/{index}),
# and actions the client performs itself.
SERVER_ACTIONS = ("send_test_notification", "mark_all_read")
CLIENT_ACTIONS = ("refresh_dashboard", "open_url")


def _text(config: JSON) -> Any:
    return {"html": render_markdown(str(config.get("markdown", "")))}


def _actions(config: JSON) -> Any:
    return {
        "actions": [
            {
                "index": index,
                "label": action["label"],
                "action": action["action"],
                "style": action.get("style", "secondary"),
                "url": action.get("url"),
                "runs_on": "server" if action["action"] in SERVER_ACTIONS else "client",
            }
            for index, action in enumerate(config.get("actions", []))
        ]
    }


TEXT = WidgetType(
    name="text",
    title="Text",
    description="Markdown notes; rendered on the server to sanitised HTML",
    category="content",
    config_schema=object_schema({"markdown": {"type": "string", "maxLength": 20000}}),
    default_config={"markdown": ""},
    default_size=Size(4, 2),
    min_size=Size(1, 1),
    max_size=Size(12, 20),
    render=_text,
)

QUICK_ACTIONS = WidgetType(
    name="quick_actions",
    title="Quick actions",
    description=(
        "Buttons: send yourself a test notification, mark all your notifications read, "
        "refresh the dashboard, open a link"
    ),
    category="content",
    config_schema=object_schema(
        {
            "actions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 12,
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string", "minLength": 1, "maxLength": 60},
                        "action": {"enum": [*SERVER_ACTIONS, *CLIENT_ACTIONS]},
                        "style": {"enum": ["primary", "secondary", "danger"]},
                        "url": {
                            "type": "string",
                            "maxLength": 2048,
                            "pattern": "^(https?://[^\\s]+|/[^\\s]*)$",
                        },
                    },
                    "required": ["label", "action"],
                    "additionalProperties": False,
                    "if": {"properties": {"action": {"const": "open_url"}}},
                    "then": {"required": ["url"]},
                    "else": {"not": {"required": ["url"]}},
                },
            }
        },
        required=("actions",),
    ),
    default_config={
        "actions": [
            {"label": "Send a test notification", "action": "send_test_notification"},
            {"label": "Mark all read", "action": "mark_all_read"},
        ]
    },
    default_size=Size(3, 2),
    min_size=Size(2, 1),
    max_size=Size(12, 6),
    personal=True,
    render=_actions,
)

WIDGETS = [TEXT, QUICK_ACTIONS]
