"""Helpers of the Gotify tests: Gotify's error shape, applications and clients."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.conftest import UserHandle


def basic(login: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def key(token: str) -> dict[str, str]:
    return {"X-Gotify-Key": token}


def assert_gotify_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Gotify's error shape, exactly: ``{"error", "errorCode", "errorDescription"}``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "errorCode", "errorDescription"}, body
    assert body["errorCode"] == status
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["errorDescription"], str)
    assert body["errorDescription"]
    return body


async def new_client(client: httpx.AsyncClient, user: UserHandle, name: str = "phone") -> str:
    response = await client.post(
        "/client", json={"name": name}, headers=basic(user.username, user.password)
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def new_app(
    client: httpx.AsyncClient, client_token: str, name: str = "Sonarr", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/application", json={"name": name, **extra}, headers=key(client_token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
