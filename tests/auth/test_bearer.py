"""One reading of the bearer token for every door (``auth/bearer.py``), the same as FastAPI's
``HTTPBearer`` (which the app used before), and one token expiry (``sessions.token_expiry``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.security import HTTPBearer
from starlette.requests import HTTPConnection, Request

from tests.conftest import make_settings
from wakedock.auth.bearer import BearerScheme, bearer_token
from wakedock.auth.sessions import token_expiry
from wakedock.auth.tokens import API_TOKEN_PREFIX, issue_access_token, new_opaque_token
from wakedock.main import create_app
from wakedock.realtime.auth import token_from

HEADERS = [
    None,
    "",
    " ",
    "Bearer",
    "Bearer ",
    "Bearer    ",
    "Bearer abc",
    "bearer abc",
    "BEARER abc",
    "Bearer   abc  ",
    "Bearer abc def",
    "Bearer\tabc",
    "Bearer \tabc\t",
    "Bearerabc",
    " Bearer abc",
    "Basic abc",
    "Token abc",
    "Bearer wdk_x",
    "Bearer é",  # Starlette decodes header bytes as latin-1
]


def scope_with(authorization: str | None, query: bytes = b"") -> dict[str, Any]:
    headers = [] if authorization is None else [(b"authorization", authorization.encode("latin-1"))]
    return {"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": query}


@pytest.mark.parametrize("value", HEADERS)
async def test_every_door_reads_the_header_as_fastapis_http_bearer(value: str | None) -> None:
    """The gateway, the sockets and the REST dependency read one header one way: FastAPI's."""
    credentials = await HTTPBearer(auto_error=False)(Request(scope_with(value)))
    expected = None if credentials is None else credentials.credentials
    assert bearer_token(value) == expected
    ours = await BearerScheme(description="d")(Request(scope_with(value)))
    assert (None if ours is None else ours.credentials) == expected
    # The sockets: the header when there is no ``?token=``, the query's token when there is.
    assert token_from(HTTPConnection(scope_with(value))) == expected
    assert token_from(HTTPConnection(scope_with(value, b"token=q"))) == "q"


def test_the_security_scheme_in_openapi_is_unchanged(tmp_path: Path) -> None:
    """The scheme the UI's generated client and /docs know, by the same name."""
    app = create_app(make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"))
    committed = json.loads(Path("web/openapi.json").read_text())
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes == committed["components"]["securitySchemes"]
    assert list(schemes) == ["HTTPBearer"]


def test_token_expiry_is_the_access_tokens_own_and_none_otherwise(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite://")
    secret = settings.resolved_secret_key
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_access_token(secret=secret, user_id=1, session_id="s", ttl_seconds=60, now=now)
    assert token_expiry(token, settings) == now + timedelta(seconds=60)
    assert token_expiry(new_opaque_token(API_TOKEN_PREFIX), settings) is None
    # One that no longer decodes has no expiry to keep: authenticate is what refuses it.
    expired = issue_access_token(
        secret=secret, user_id=1, session_id="s", ttl_seconds=60, now=now - timedelta(hours=1)
    )
    assert token_expiry(expired, settings) is None
    assert token_expiry("not-a-jwt", settings) is None
    other = issue_access_token(secret="x" * 64, user_id=1, session_id="s", ttl_seconds=60)
    assert token_expiry(other, settings) is None
