"""The client and the client commands load nothing of the server (import-linter checks the
imports as written; this checks what a real process ends up loading)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import free_port

SERVER_PACKAGES = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "alembic", "redis")
SERVER_MODULES = ("wakedock.settings", "wakedock.errors", "wakedock.db", "wakedock.auth")

PROBE = """
import json, sys
sys.argv = ["wakedock", *json.loads(sys.argv[1])]
from wakedock.cli import main
try:
    main()
except SystemExit:
    pass
names = [m for m in sys.modules if m.split(".")[0] in {packages} or m.startswith({modules})]
sys.stderr.write("LOADED " + json.dumps(names) + "\\n")
"""


def loaded_after(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    code = PROBE.format(packages=set(SERVER_PACKAGES), modules=SERVER_MODULES)
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED "))
    loaded: list[str] = json.loads(line.removeprefix("LOADED "))
    return loaded


def test_client_library_imports_no_server_module() -> None:
    code = (
        "import sys, wakedock.client, wakedock.client.models;"
        f"print([m for m in sys.modules if m.split('.')[0] in {set(SERVER_PACKAGES)}"
        f" or m.startswith({SERVER_MODULES})])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_client_commands_load_no_server_module(tmp_path: object) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env.update(
        {
            "WAKEDOCK_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens: a quick exit 1
            "WAKEDOCK_TOKEN": "wdk_nothing",
            "XDG_CONFIG_HOME": str(tmp_path),
        }
    )
    for args in (["send", "hello"], ["notifications", "list"], ["listen", "--help"], ["--version"]):
        assert loaded_after(args, env) == [], args


def test_the_probe_sees_server_commands_load_the_server() -> None:
    assert "sqlalchemy" in loaded_after(["user", "--help"])
