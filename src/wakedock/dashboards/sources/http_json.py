"""The ``http_json`` source: GET a JSON document and pick values with JSONPath selectors.

The document is fetched once per refresh interval and shared by every widget on the source;
each widget applies its own selectors (``jsonpath-ng``'s extended syntax: ``$.a.b[0]``,
``$.items[*].value``, filters such as ``$.items[?(@.up == true)]``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse

from wakedock.dashboards.sources import outbound
from wakedock.dashboards.sources.base import FetchContext, SourceError
from wakedock.settings import Settings

kind = "http_json"
personal = False
secret_keys: tuple[str, ...] = ("headers",)
config_schema: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "maxLength": 2048, "description": "The JSON document's URL"},
        "timeout_seconds": {"type": "number", "minimum": 0.5, "maximum": 60},
        "headers": {
            "type": "object",
            "maxProperties": 10,
            "additionalProperties": {"type": "string", "maxLength": 4096},
            "description": "Extra request headers (e.g. an API key); secret, never shown",
        },
    },
    "required": ["url"],
    "additionalProperties": False,
}
MAX_MATCHES = 1000


async def check_config(config: dict[str, Any], settings: Settings) -> None:
    await outbound.check_target(str(config["url"]), settings)


@lru_cache(maxsize=512)
def compile_selector(selector: str) -> JSONPath:
    """Parse a JSONPath selector; ``ValueError`` with a readable message when it is invalid."""
    try:
        return parse(selector)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise ValueError(f"invalid JSONPath selector: {exc}") from None


def select(document: Any, selector: str) -> list[Any]:
    """Every value the selector matches in ``document`` (in document order)."""
    try:
        path = compile_selector(selector)
    except ValueError as exc:
        raise SourceError("invalid_selector", str(exc)) from None
    return [match.value for match in path.find(document)[:MAX_MATCHES]]


async def fetch(config: dict[str, Any], query: dict[str, Any], ctx: FetchContext) -> Any:
    answer = await outbound.get_json(
        str(config["url"]),
        settings=ctx.settings,
        headers=dict(config.get("headers") or {}),
        timeout=float(config.get("timeout_seconds", 10)),
    )
    if answer.status >= 400:
        raise SourceError(
            "upstream_status",
            f"The upstream answered HTTP {answer.status}",
            {"status": answer.status},
        )
    if answer.document is None:
        raise SourceError("invalid_json", "The upstream answer is not JSON")
    return answer.document
