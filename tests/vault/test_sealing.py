"""Sealed values: round trips, plaintext from before 0005 still read, a client's look-alike
value sealed like any other, altered or foreign tokens refused by field name only."""

from __future__ import annotations

from pathlib import Path

import pytest

from wakedock.vault.keys import Keyring, new_key
from wakedock.vault.sealing import (
    PREFIX,
    SecretUnreadable,
    is_sealed,
    reseal_fields,
    seal,
    seal_fields,
    unseal,
    unseal_fields,
)

FIELDS = ("password", "headers")


@pytest.fixture
def ring() -> Keyring:
    return Keyring(keys=[new_key()])


@pytest.mark.parametrize(
    "plaintext", ["hunter2", " ", "ünïcödé ✓", "enc:v1:looks-sealed", "x" * 5000]
)
def test_seal_round_trips_and_hides_the_plaintext(ring: Keyring, plaintext: str) -> None:
    sealed = seal(ring, plaintext)
    assert sealed.startswith(PREFIX)
    assert plaintext not in sealed[len(PREFIX) :]
    assert seal(ring, plaintext) != sealed  # a fresh IV each time
    assert unseal(ring, sealed, field="f") == plaintext


def test_plaintext_from_before_sealing_reads_as_it_is(ring: Keyring) -> None:
    assert unseal(ring, "legacy-password", field="password") == "legacy-password"
    assert not is_sealed("legacy-password")
    assert not is_sealed(None)


def test_configs_seal_only_secret_fields_and_header_values(ring: Keyring) -> None:
    config = {
        "host": "smtp.example.com",
        "password": "pw-1",
        "headers": {"Authorization": "Bearer tok", "X-Team": "ops"},
        "port": 25,
    }
    sealed = seal_fields(ring, config, FIELDS)
    assert sealed["host"] == "smtp.example.com"
    assert sealed["port"] == 25
    assert is_sealed(sealed["password"])
    assert set(sealed["headers"]) == {"Authorization", "X-Team"}  # names stay readable
    assert all(is_sealed(v) for v in sealed["headers"].values())
    assert seal_fields(ring, {"password": ""}, FIELDS) == {"password": ""}  # nothing to hide
    assert "pw-1" not in str(sealed)
    assert "Bearer tok" not in str(sealed)
    assert unseal_fields(ring, sealed, FIELDS) == config
    assert config["password"] == "pw-1"  # the input is not changed


@pytest.mark.parametrize(
    "damage",
    [
        lambda token: token[:-4] + "AAAA",  # altered
        lambda token: token[: len(PREFIX) + 20],  # truncated
        lambda token: PREFIX + "not base64 at all!",
        lambda _token: seal(Keyring(keys=[new_key()]), "pw-1"),  # another key's
    ],
)
def test_a_token_no_key_opens_names_the_field_never_the_value(
    ring: Keyring, damage: object
) -> None:
    sealed = seal_fields(ring, {"password": "pw-1"}, FIELDS)
    broken = {"password": damage(sealed["password"])}  # type: ignore[operator]
    with pytest.raises(SecretUnreadable) as caught:
        unseal_fields(ring, broken, FIELDS)
    assert caught.value.field == "password"
    assert "'password'" in str(caught.value)
    assert "WAKEDOCK_ENCRYPTION_KEYS" in str(caught.value)
    assert broken["password"] not in str(caught.value)


def test_reseal_counts_what_it_moves_to_the_primary_key(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    before = Keyring(keys=[old])
    config = seal_fields(before, {"password": "pw", "headers": {"A": "1", "B": "2"}}, FIELDS)
    config["headers"]["C"] = "plain"  # written before sealing existed

    after = Keyring(keys=[new, old])
    moved, changed = reseal_fields(after, config, FIELDS)
    assert changed == 4
    only_new = Keyring(keys=[new])
    assert unseal_fields(only_new, moved, FIELDS) == {
        "password": "pw",
        "headers": {"A": "1", "B": "2", "C": "plain"},
    }
    assert reseal_fields(after, moved, FIELDS) == (moved, 0)  # nothing left to move

    with pytest.raises(SecretUnreadable):
        reseal_fields(Keyring(keys=[new_key()]), config, FIELDS)
