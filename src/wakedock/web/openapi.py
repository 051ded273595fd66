"""Write the API's OpenAPI document, from which the UI's typed client is generated.

``python -m wakedock.web.openapi web/openapi.json`` (``make client`` runs it, then
openapi-typescript); ``tests/web/test_client_fresh.py`` fails when the committed copy is stale.
The document is the app's OpenAPI plus the socket protocol's server messages as components
(``realtime.protocol.SERVER_MESSAGES``): no HTTP route returns them, yet the UI types them from
here rather than by hand.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any


def current_schema() -> dict[str, Any]:
    import logging

    from wakedock.main import create_app
    from wakedock.settings import Settings

    logging.getLogger("wakedock.web.spa").setLevel(logging.ERROR)  # "UI not built" is noise here
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir), secret_key=secrets.token_urlsafe(32)))
        schema = app.openapi()
    return with_socket_messages(schema)


def with_socket_messages(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each of the protocol's server messages as a component of its own name."""
    from wakedock.realtime.protocol import SERVER_MESSAGES

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in SERVER_MESSAGES:
        name = model.__name__
        if name in components:
            raise RuntimeError(f"OpenAPI component {name} already exists")
        components[name] = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "web/openapi.json")
    target.write_text(render(current_schema()))


if __name__ == "__main__":
    main()
