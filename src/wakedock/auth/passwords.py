"""Argon2id password hashing, run off the event loop (it is deliberately slow).

The cost is argon2-cffi's RFC 9106 low-memory profile (``PARAMETERS``: 3 passes over 64 MiB in
4 lanes), about 140 ms a hash on one core of the development machine. A hash records its own
parameters, so ``verify_password`` checks a hash made with any of them, and a login rehashes a
password stored with others (``needs_rehash``). The test suite swaps in argon2-cffi's cheapest
parameters (still Argon2id; tests/conftest.py), and ``tests/auth/test_passwords.py`` checks in
a fresh interpreter that these stay the ones a server uses.
"""

from __future__ import annotations

import anyio.to_thread
from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PARAMETERS: Parameters = profiles.RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(PARAMETERS)
# Verifying against this when the user does not exist keeps response times alike.
_DUMMY_HASH = _hasher.hash("wakedock-dummy-password")

MIN_PASSWORD_LENGTH = 8


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends the same effort, even with no hash."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(check)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
