"""Outbound HTTP for data sources: one JSON GET through the outbound guard, with size and time
limits and no redirects.

Targets are checked by ``wakedock.netguard`` (public addresses, or ``WAKEDOCK_ALLOWED_NETWORKS``;
``WAKEDOCK_ALLOW_PRIVATE_TARGETS`` turns the guard off): when a source is saved (a refused target
is a 422 ``target_refused``) and at every connect (the address connected to is the address
checked, so DNS rebinding between the two does not get through).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from wakedock.dashboards.sources.base import SourceError
from wakedock.netguard import TargetRefused, policy_for
from wakedock.netguard import http as guarded_http
from wakedock.netguard.resolve import resolve
from wakedock.netguard.urls import http_target
from wakedock.settings import Settings


def check_url_syntax(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL without credentials, or ``SourceError``."""
    try:
        host, port = http_target(url)
    except ValueError as exc:
        raise SourceError("invalid_url", str(exc).capitalize()) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise SourceError("invalid_url", "Put credentials in headers, not in the URL")
    return host, port


def _refused(host: str, exc: TargetRefused) -> SourceError:
    return SourceError("target_refused", f"Refusing to call {host!r}: {exc.reason}", {"host": host})


async def check_target(url: str, settings: Settings) -> None:
    """Refuse URLs whose host resolves to an address outside the allowed ones."""
    host, port = check_url_syntax(url)
    policy = policy_for(settings)
    if policy.allow_all:
        return
    try:
        await resolve(host, port, policy)
    except TargetRefused as exc:
        raise _refused(host, exc) from None
    except OSError:
        raise SourceError("dns_failed", f"Cannot resolve host {host!r}") from None


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """A status code and the decoded JSON body (``None`` when the body is not JSON)."""

    status: int
    document: Any


async def get_json(
    url: str,
    *,
    settings: Settings,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 (httpx's own per-phase timeouts)
) -> UpstreamAnswer:
    """GET a JSON document through the guard; transport failures are a ``SourceError``."""
    host, _ = check_url_syntax(url)
    limit = settings.dashboards_upstream_max_bytes
    try:
        async with (
            guarded_http.client(policy_for(settings), timeout=timeout) as client,
            client.stream(
                "GET",
                url,
                params=params,
                headers={"Accept": "application/json", **(headers or {})},
            ) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    raise SourceError(
                        "response_too_large", f"The upstream answer is larger than {limit} bytes"
                    )
    except TargetRefused as exc:
        raise _refused(host, exc) from None
    except httpx.TimeoutException:
        raise SourceError(
            "upstream_timeout", f"The upstream did not answer within {timeout:g}s"
        ) from None
    except httpx.HTTPError as exc:
        raise SourceError(
            "upstream_unreachable", f"Cannot reach the upstream ({type(exc).__name__})"
        ) from None
    if response.is_redirect:
        raise SourceError(
            "upstream_redirect",
            "The upstream answered with a redirect (redirects are not followed)",
        )
    try:
        document = json.loads(bytes(body))
    except ValueError:
        document = None
    return UpstreamAnswer(response.status_code, document)
