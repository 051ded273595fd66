"""The bearer token of a request: one reading of ``Authorization: Bearer <token>`` for every
door (the REST dependency, the gateway's fast path for creates, the WebSocket and SSE).

Every door answers the same header the same way: the scheme is matched without regard to
case, the token is what follows the first space with surrounding whitespace removed
(``Bearer  abc `` is ``abc``), and a missing header, another scheme or an empty token is no
token (the caller answers 401). This is how FastAPI's ``HTTPBearer`` reads it, kept as the
app's security scheme for OpenAPI (``BearerScheme``), but with the reading itself here.

``bearer_token`` is a plain string operation on purpose: the gateway's create path is
measured (``bench/``) and calls it for every request, before any framework code.
"""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header's value, or None if it holds no bearer token."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


class BearerScheme(HTTPBearer):
    """``HTTPBearer`` in OpenAPI (the same security scheme, by the same name), reading the
    header with ``bearer_token``; never raises (no token: None, the dependency answers)."""

    def __init__(self, *, description: str) -> None:
        super().__init__(scheme_name="HTTPBearer", description=description, auto_error=False)

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            return None
        return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
