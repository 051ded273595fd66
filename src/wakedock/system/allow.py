"""The ``Allow`` header of a 405: every method the path answers, not just one route's.

Routing stops at the first route whose path matches and reports only that route's methods
(``/api/notifications/{id}`` answered ``Allow: GET`` although it also takes PUT and DELETE).
The methods are found by asking the app's routes whether they fully match the same request
with each other method: it uses only ``BaseRoute.matches``, so it holds however routes are
nested, and costs nothing until a 405 is answered.

A literal path names its own resource: when a route without parameters matches the URL
(``/api/notifications/templates/preview``), only the routes of that literal path count, not a
parameter route the same URL happens to fit (``/api/notifications/templates/{name}``: the
name ``preview`` is reserved). The header then says what the OpenAPI says of that path.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(
    routes: list[BaseRoute], scope: Scope, literal: Collection[str] | None = None
) -> list[str]:
    """The methods of ``METHODS`` some route fully matches for ``scope``'s path; ``literal``:
    the methods the OpenAPI documents when the path is a literal one of it (else None)."""
    allowed = []
    for method in METHODS:
        if literal is not None and method not in literal:
            continue
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def literal_path_methods(paths: dict[str, dict[str, object]], path: str) -> set[str] | None:
    """The methods of ``path`` when the OpenAPI ``paths`` list it literally (HEAD with GET)."""
    item = paths.get(path)
    if item is None:
        return None
    methods = {method.upper() for method in item}
    return methods | {"HEAD"} if "GET" in methods else methods
