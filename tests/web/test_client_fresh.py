"""The UI's typed API client must match the API: regenerate with `make client` when this fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from wakedock.web.openapi import current_schema, render

WEB = Path(__file__).resolve().parents[2] / "web"


def test_committed_openapi_matches_the_api() -> None:
    committed = (WEB / "openapi.json").read_text()
    assert committed == render(current_schema()), "web/openapi.json is stale: run `make client`"


def test_generated_client_matches_the_committed_openapi(tmp_path: Path) -> None:
    generator = WEB / "node_modules" / ".bin" / "openapi-typescript"
    if not generator.exists() or shutil.which("node") is None:
        reason = "web/node_modules missing (make web installs it) or no node"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(generator), str(WEB / "openapi.json"), "-o", str(out)],
        check=True,
        capture_output=True,
        cwd=WEB,
    )
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text()
    assert out.read_text() == committed, "web/src/api/schema.d.ts is stale: run `make client`"
