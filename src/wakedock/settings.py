"""Typed settings read from the environment (prefix ``WAKEDOCK_``).

Every field here is documented in the README; ``tests/system/test_settings.py``
fails when one is not.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from wakedock.bounds import Limits
from wakedock.vault.keys import Keyring, check_key, keyring_for

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    # Errors never echo the input: it may be a key or a password.
    model_config = SettingsConfigDict(
        env_prefix="WAKEDOCK_", extra="ignore", hide_input_in_errors=True
    )

    data_dir: Path = Path("./data")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    # A refresh token presented again this soon after its rotation gets a fresh pair of its
    # session instead of revoking it (a refresh cut short by a page unload); 0 turns it off.
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0, le=60)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    admin_email: str = "admin@localhost"

    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)

    default_timezone: str = "UTC"

    redis_url: str | None = None
    heartbeat_interval_seconds: float = Field(default=25.0, gt=0, le=300)
    socket_queue_size: int = Field(default=1000, ge=10, le=100_000)
    # Real-time sockets: the outbox bounded in bytes too (a slow reader is closed with 4408).
    socket_queue_max_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, le=1024**3)
    ws_implementation: Literal["websockets-sansio", "websockets", "wsproto"] = "websockets-sansio"
    # Graceful stop (SIGTERM): the longest wait for in-flight work before the process exits.
    shutdown_grace_seconds: int = Field(default=10, ge=1, le=600)

    # The built web UI; unset means the copy built into the package by `make web`.
    web_dir: Path | None = None

    # notifications: delivery worker and channels
    worker_enabled: bool = True
    worker_concurrency: int = Field(default=10, ge=1, le=500)
    worker_batch_size: int = Field(default=50, ge=1, le=1000)
    worker_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    delivery_lease_seconds: int = Field(default=60, ge=5)
    # Outbound network guard (wakedock.netguard): every webhook, push, SMTP, Apprise and data
    # source connection. allow_private_targets turns it off; allowed_networks are CIDRs allowed
    # although not public.
    allow_private_targets: bool = False
    allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Dashboards: outbound calls of the prometheus and http_json data sources.
    # Deprecated alias of allowed_networks (both lists apply, to every outbound call).
    dashboards_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    dashboards_upstream_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    dashboards_cache_max_entries: int = Field(default=4096, ge=16)
    dashboards_error_ttl_seconds: float = Field(default=5.0, ge=0)

    # Notification templates: rendered in renderer subprocesses, under these limits.
    template_render_timeout_ms: int = Field(default=1000, ge=50, le=60_000)
    template_max_output_chars: int = Field(default=100_000, ge=100, le=10_000_000)
    template_max_source_chars: int = Field(default=50_000, ge=100, le=1_000_000)
    template_memory_limit_mb: int = Field(default=256, ge=64, le=65_536)
    template_renderer_processes: int = Field(default=2, ge=1, le=64)

    # Trusted proxies: the direct peers whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (IPs or CIDRs); empty: never believed. Audit and login throttling see the resolved client.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"]
    )

    # Secrets at rest: Fernet keys sealing stored secrets, first is primary (else the data
    # dir's generated encryption_keys file).
    encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    # /metrics behind a bearer token (Prometheus: `authorization: {credentials: ...}`);
    # unset: /metrics is open (bind to a private interface or block it at the proxy).
    metrics_token: SecretStr | None = None
    # ntfy-compatible API (wakedock.compat.ntfy): the largest message body (ntfy's own default:
    # larger ones would be attachments, refused here with 413), the keepalive of its streams.
    ntfy_message_limit: int = Field(default=4096, ge=256, le=10_000)
    ntfy_keepalive_seconds: float = Field(default=45.0, gt=0, le=600)

    # Input bounds: request body size (413), depth and encoded size of free-form JSON
    # (a notification's data, template variables, widget/source/channel config).
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    data_max_depth: int = Field(default=32, ge=1, le=128)
    data_max_bytes: int = Field(default=64 * 1024, ge=256, le=16 * 1024 * 1024)

    @field_validator(
        "cors_origins",
        "allowed_networks",
        "dashboards_allowed_networks",
        "encryption_keys",
        "trusted_proxies",
        mode="before",
    )
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("allowed_networks", "dashboards_allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP network: {item!r} (use CIDR like 10.0.0.0/8)") from exc
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _check_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for number, key in enumerate(value, 1):
            try:
                check_key(key.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"key {number} is {exc}") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        # Uvicorn would take a typo for a literal host name and silently trust nothing: refuse it.
        networks = []
        for item in value:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"not an IP address or network: {item!r} (use 10.0.0.5 or 10.0.0.0/8)"
                ) from exc
        return [
            str(net.network_address) if net.num_addresses == 1 else str(net) for net in networks
        ]

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def limits(self) -> Limits:
        return Limits(
            max_request_bytes=self.max_request_bytes,
            data_max_depth=self.data_max_depth,
            data_max_bytes=self.data_max_bytes,
        )

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured URL, or SQLite inside the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wakedock.db').resolve()}"

    @cached_property
    def keyring(self) -> Keyring:
        """The keys sealing stored secrets (lazy: the keys file is read on first use)."""
        return keyring_for(self.data_dir, [k.get_secret_value() for k in self.encryption_keys])

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, else the one generated into the data dir on first start."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        return load_or_create_secret(self.data_dir)


def load_or_create_secret(data_dir: Path) -> str:
    """Read ``data_dir/secret_key``, creating it (mode 0600) with 64 random bytes if absent."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        # Write a private temp file, then link it into place: the link is atomic and fails if
        # another process won the race, so nobody ever reads a half-written or replaced key.
        tmp = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"secret key file {path} is empty or too short")
    return key
