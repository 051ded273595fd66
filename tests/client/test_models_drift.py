"""The client's models and enums match the app's OpenAPI: a field or value added, removed or
made optional on either side fails here."""

from __future__ import annotations

from typing import Any

import pytest

from wakedock.client.models import OPENAPI_ENUMS, OPENAPI_MODELS
from wakedock.web.openapi import current_schema


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    schemas: dict[str, Any] = current_schema()["components"]["schemas"]
    return schemas


@pytest.mark.parametrize("model", list(OPENAPI_MODELS), ids=lambda m: m.__name__)
def test_model_fields_match_openapi(model: Any, components: dict[str, Any]) -> None:
    schema = components[OPENAPI_MODELS[model]]
    assert set(model.model_fields) == set(schema["properties"]), OPENAPI_MODELS[model]
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required == set(schema.get("required", [])), OPENAPI_MODELS[model]


@pytest.mark.parametrize("enum", list(OPENAPI_ENUMS), ids=lambda e: e.__name__)
def test_enum_values_match_openapi(enum: Any, components: dict[str, Any]) -> None:
    assert [member.value for member in enum] == components[OPENAPI_ENUMS[enum]]["enum"]


def test_a_drift_is_caught(components: dict[str, Any]) -> None:
    """The comparison itself bites: a field the server has and the client lacks is seen."""
    from wakedock.client.models import Notification

    schema = dict(components["NotificationOut"])
    schema["properties"] = {**schema["properties"], "new_field": {"type": "string"}}
    assert set(Notification.model_fields) != set(schema["properties"])
