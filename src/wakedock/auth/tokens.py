"""Token formats: JWT access tokens, opaque refresh and API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from wakedock.errors import Unauthorized

ALGORITHM = "HS256"
API_TOKEN_PREFIX = "wdk_"
REFRESH_TOKEN_PREFIX = "wdr_"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: str
    expires_at: datetime


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_opaque_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return str(uuid.uuid4())


def issue_access_token(
    *, secret: str, user_id: int, session_id: str, ttl_seconds: int, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "typ": "access",
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> AccessClaims:
    """Validate signature, expiry and type; any failure is a 401."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub", "sid"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Access token expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid access token", code="invalid_token") from None
    if claims.get("typ") != "access":
        raise Unauthorized("Invalid access token", code="invalid_token")
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError):
        raise Unauthorized("Invalid access token", code="invalid_token") from None
    return AccessClaims(
        user_id=user_id,
        session_id=str(claims["sid"]),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )
