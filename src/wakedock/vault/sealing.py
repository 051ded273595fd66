"""Sealed values: how a secret is stored, and the secret fields of a JSON config.

A sealed value is the string ``enc:v1:<Fernet token>``. The marker tells sealed values from
plaintext ones written before secrets were encrypted (migration 0005 seals those; a plaintext
value still read as such is never an error), and ``v1`` names the format so another one can
follow. A Fernet token carries its own timestamp and HMAC: a value altered in the database, or
sealed under a key the ring no longer has, fails to open as ``SecretUnreadable``, whose message
says which field and where the keys come from, never the value.

A secret field of a config holds a string (sealed whole) or an object of strings, such as
request headers (each value sealed, the names left readable so answers can show which headers
are set). Configs are always sealed from plaintext: a value a client sends that happens to look
like ``enc:v1:...`` is sealed like any other, so only what WakeDock sealed is ever opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cryptography.fernet import InvalidToken

from wakedock.vault.keys import Keyring

PREFIX = "enc:v1:"


class SecretUnreadable(Exception):
    """A stored secret that none of the keys opens (wrong or missing key, altered value)."""

    def __init__(self, field: str, source: str) -> None:
        super().__init__(
            f"the stored secret {field!r} cannot be decrypted with the encryption keys from "
            f"{source} (wrong or missing key?); restore the key or enter the secret again"
        )
        self.field = field


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(keyring: Keyring, plaintext: str) -> str:
    return PREFIX + keyring.encrypt(plaintext.encode()).decode()


def unseal(keyring: Keyring, value: str, *, field: str) -> str:
    """The plaintext of a sealed value; a legacy plaintext value is returned as it is."""
    if not is_sealed(value):
        return value
    try:
        return keyring.decrypt(value[len(PREFIX) :].encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SecretUnreadable(field, keyring.source) from None


def _map(value: Any, func: Any) -> Any:
    if isinstance(value, str):
        return func(value)
    if isinstance(value, dict):
        return {name: func(item) if isinstance(item, str) else item for name, item in value.items()}
    return value


def seal_fields(keyring: Keyring, config: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A copy of a plaintext ``config`` with every secret field sealed (empty ones stay empty:
    answers list a secret as set when its stored value is not empty)."""
    sealed = dict(config)
    for field in fields:
        if field in sealed:
            sealed[field] = _map(sealed[field], lambda text: seal(keyring, text) if text else text)
    return sealed


def unseal_fields(
    keyring: Keyring, config: dict[str, Any], fields: Iterable[str]
) -> dict[str, Any]:
    """A copy of a stored ``config`` with every secret field in plaintext."""
    opened = dict(config)
    for field in fields:
        if field in opened:
            opened[field] = _map(
                opened[field], lambda text, f=field: unseal(keyring, text, field=f)
            )
    return opened


def reseal_fields(
    keyring: Keyring, config: dict[str, Any], fields: Iterable[str], *, field_label: str = ""
) -> tuple[dict[str, Any], int]:
    """Seal plaintext values and move sealed ones to the primary key; returns the new config
    and how many values changed (0 when everything was already sealed with the primary)."""
    changed = 0

    def one(text: str, field: str) -> str:
        nonlocal changed
        if not text:
            return text
        if not is_sealed(text):
            changed += 1
            return seal(keyring, text)
        token = text[len(PREFIX) :].encode()
        if keyring.primary_opens(token):
            return text
        try:
            rotated = keyring.rotate(token)
        except InvalidToken:
            raise SecretUnreadable(field_label + field, keyring.source) from None
        changed += 1
        return PREFIX + rotated.decode()

    result = dict(config)
    for field in fields:
        if field in result:
            result[field] = _map(result[field], lambda text, f=field: one(text, f))
    return result, changed
