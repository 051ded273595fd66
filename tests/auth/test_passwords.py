"""Password hashing: a server hashes at the production cost, the suite at the cheapest one.

The suite swaps in argon2-cffi's cheapest Argon2id parameters (``cheap_password_hashing`` in
tests/conftest.py), so the production ones are checked in a fresh interpreter, as a server
process has them.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import argon2
import httpx
import pytest
from argon2 import Type, profiles
from sqlalchemy import text

from tests.conftest import UserFactory, login
from wakedock.auth import passwords

PASSWORD = "s3cret-password"
FRESH_HASH = (
    "import sys; from wakedock.auth.passwords import hash_password_sync; "
    "print(hash_password_sync(sys.argv[1]))"
)


@pytest.fixture(scope="module")
def production_hash() -> str:
    """The hash of ``PASSWORD`` made by ``wakedock.auth.passwords`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_HASH, PASSWORD],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_a_server_hashes_with_the_rfc_9106_low_memory_parameters(production_hash: str) -> None:
    params = argon2.extract_parameters(production_hash)
    assert params == profiles.RFC_9106_LOW_MEMORY == passwords.PARAMETERS
    assert params.type is Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert (params.salt_len, params.hash_len) == (16, 32)


async def test_the_suite_hashes_with_cheap_argon2id_and_checks_production_hashes(
    production_hash: str,
) -> None:
    cheap = await passwords.hash_password(PASSWORD)
    assert argon2.extract_parameters(cheap) == profiles.CHEAPEST
    assert argon2.extract_parameters(cheap).type is Type.ID
    assert await passwords.verify_password(cheap, PASSWORD)
    assert not await passwords.verify_password(cheap, PASSWORD + "!")
    # A hash records its parameters: one made at the production cost still checks.
    assert await passwords.verify_password(production_hash, PASSWORD)
    assert not await passwords.verify_password(production_hash, PASSWORD + "!")
    assert not await passwords.verify_password(None, PASSWORD)


async def test_a_login_checks_a_production_hash_and_rehashes_it_with_the_current_parameters(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory, production_hash: str
) -> None:
    user = await make_user()
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET password_hash = :hash WHERE id = :id"),
            {"hash": production_hash, "id": user.id},
        )
    await login(client, user.username, PASSWORD)
    async with app.state.engine.connect() as conn:
        rehashed = (
            await conn.execute(
                text("SELECT password_hash FROM users WHERE id = :id"), {"id": user.id}
            )
        ).scalar_one()
    assert argon2.extract_parameters(rehashed) == profiles.CHEAPEST
    assert await passwords.verify_password(rehashed, PASSWORD)
