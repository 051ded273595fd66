"""The keyring: the generated keys file (private, atomic, one key however many processes race),
a rotated file followed by a running keyring, unusable keys refused without echoing them."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import ValidationError

from wakedock.settings import Settings
from wakedock.vault.keys import (
    KEYS_FILE,
    Keyring,
    KeyringError,
    new_key,
    parse_keys,
    replace_keys_file,
)


def test_the_keys_file_is_made_on_first_use_private_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ring = Settings(data_dir=data).keyring
    assert not (data / KEYS_FILE).exists()  # building a keyring touches nothing
    token = ring.encrypt(b"hello")
    path = data / KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [key] = parse_keys(path.read_text())
    assert Fernet(key.encode()).decrypt(token) == b"hello"
    again = Settings(data_dir=data).keyring  # a second process reads the same key
    assert again.decrypt(token) == b"hello"
    assert again.keys() == [key]
    assert [p.name for p in data.iterdir()] == [KEYS_FILE]  # no temp file left


def test_processes_racing_to_create_the_keys_file_all_get_the_winners_key(
    tmp_path: Path,
) -> None:
    code = (
        "import sys; from pathlib import Path; from wakedock.vault.keys import Keyring;"
        "print(Keyring(path=Path(sys.argv[1])).keys()[0])"
    )
    path = tmp_path / "data" / KEYS_FILE
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    keys = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert keys == set(parse_keys(path.read_text()))
    assert len(keys) == 1


def test_a_running_keyring_follows_a_rotated_keys_file(tmp_path: Path) -> None:
    path = tmp_path / KEYS_FILE
    ring = Keyring(path=path)
    old_token = ring.encrypt(b"secret")
    [old] = ring.keys()
    new = new_key()
    replace_keys_file(path, [new, old])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ring.keys() == [new, old]
    assert Fernet(new.encode()).decrypt(ring.encrypt(b"x")) == b"x"  # seals with the new key
    assert ring.decrypt(old_token) == b"secret"  # still opens the old one
    assert not ring.primary_opens(old_token)
    rotated = ring.rotate(old_token)
    assert ring.primary_opens(rotated)
    replace_keys_file(path, [new])  # the old key retired
    assert ring.decrypt(rotated) == b"secret"
    with pytest.raises(InvalidToken):
        ring.decrypt(old_token)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no key"),
        ("# only a comment\n\n", "holds no key"),
        ("not-a-key-at-all-but-quite-hidden\n", "key 1 in the keys file"),
        (f"{Fernet.generate_key().decode()}\nshort-hidden\n", "key 2 in the keys file"),
    ],
)
def test_an_unusable_keys_file_is_refused_by_name_without_its_content(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / KEYS_FILE
    path.write_text(content)
    with pytest.raises(KeyringError) as caught:
        Keyring(path=path).encrypt(b"x")
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "hidden" not in str(caught.value)


def test_keys_from_the_setting_win_and_bad_ones_are_not_echoed(tmp_path: Path) -> None:
    first, second = new_key(), new_key()
    settings = Settings(data_dir=tmp_path, encryption_keys=f" {first} , {second} ")
    token = Fernet(second.encode()).encrypt(b"old")
    assert settings.keyring.decrypt(token) == b"old"
    assert Fernet(first.encode()).decrypt(settings.keyring.encrypt(b"n")) == b"n"
    assert settings.keyring.source == "WAKEDOCK_ENCRYPTION_KEYS"
    assert first not in repr(settings)
    assert not (tmp_path / KEYS_FILE).exists()
    for bad in ("my-secret-password", f"{first},{first[:-2]}"):
        with pytest.raises(ValidationError) as caught:
            Settings(data_dir=tmp_path, encryption_keys=bad)
        assert "not a Fernet key" in str(caught.value)
        assert "my-secret-password" not in str(caught.value)
        assert first[:-2] not in str(caught.value)
