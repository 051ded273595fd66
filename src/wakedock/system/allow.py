"""The ``Allow`` header of a 405: every method the path answers, not just one route's.

Routing stops at the first route whose path matches and reports only that route's methods
(``/api/notifications/{id}`` answered ``Allow: GET`` although it also takes PUT and DELETE).
The methods are found by asking the app's routes whether they fully match the same request
with each other method: it uses only ``BaseRoute.matches``, so it holds however routes are
nested, and costs nothing until a 405 is answered.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """The methods of ``METHODS`` some route fully matches for ``scope``'s path."""
    allowed = []
    for method in METHODS:
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed
