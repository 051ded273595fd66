"""Settings: generated secret, no default secret, environment parsing, docs coverage."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from wakedock.settings import Settings, load_or_create_secret

ROOT = Path(__file__).resolve().parents[2]


def test_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    key = load_or_create_secret(tmp_path / "data")
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 64
    assert load_or_create_secret(tmp_path / "data") == key
    assert list((tmp_path / "data").iterdir()) == [path]


def test_each_data_dir_gets_its_own_secret(tmp_path: Path) -> None:
    assert load_or_create_secret(tmp_path / "a") != load_or_create_secret(tmp_path / "b")


def test_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_env_leak: None) -> None:
    monkeypatch.setenv("WAKEDOCK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WAKEDOCK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("WAKEDOCK_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("WAKEDOCK_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.resolved_secret_key == "x" * 40
    assert not (tmp_path / "secret_key").exists()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG"
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("/wakedock.db")


def test_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch, no_env_leak: None) -> None:
    monkeypatch.setenv("WAKEDOCK_PORT", "99999")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_no_hard_coded_secret_in_the_source() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    assert not re.search(r"secret_key\s*[:=]\s*(SecretStr\()?[\"'][^\"']+[\"']", source)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"WAKEDOCK_{name.upper()}"
        for name in Settings.model_fields
        if f"WAKEDOCK_{name.upper()}" not in readme
    ]
    assert not missing, f"settings missing from README.md: {missing}"
