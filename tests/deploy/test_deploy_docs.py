"""docs/deploy.md shows each shipped file as it is: the docs cannot drift from what the
proxy and systemd tests run."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import DEPLOY


@pytest.mark.parametrize(
    "name", ["nginx/wakedock.conf", "caddy/Caddyfile", "systemd/wakedock.service"]
)
def test_docs_include_the_shipped_files_verbatim(name: str) -> None:
    """docs/deploy.md shows each file as it is: the docs cannot drift from what is tested."""
    docs = (DEPLOY.parent / "docs" / "deploy.md").read_text()
    assert (DEPLOY / name).read_text().strip() in docs
