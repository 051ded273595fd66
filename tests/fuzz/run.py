"""The fuzz run: Schemathesis over the whole OpenAPI of a real ``wakedock serve``, once as an
admin and once as a plain user, every check, a fixed seed and example count.

``python -m tests.fuzz.run --out DIR`` starts a server on a fresh data dir (or a fresh PostgreSQL
database, ``--database-url``), creates the two accounts, runs Schemathesis for each role while a
thread polls ``/api/health`` every 0.5 s, and writes ``DIR/summary.json``: every failed check
(deduplicated by Schemathesis), every 5xx answer with a curl line that reproduces it, the
server's logged tracebacks, and the health latencies. ``tests/fuzz/test_schemathesis.py`` runs it
inside a network namespace that has only loopback (``unshare --net``), so nothing the fuzzer makes
the server call (webhooks, e-mail, Apprise, data sources) can leave the machine: such a call fails
at once with "network unreachable" instead of reaching a real host, and even the host's own
loopback services (PostgreSQL, Redis on 127.0.0.1) are out of reach. PostgreSQL is reached over
its Unix socket, which is a file and so crosses network namespaces.

The run is deterministic (``generation.deterministic``, one seed, no example database): the same
code gives the same requests, so a CI failure reproduces locally with the same command.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import errno
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
ADMIN_PASSWORD = "fuzz-bootstrap-password-1"
# Accounts the fuzzer acts as. The names are unlikely guesses, so the fuzzer's own wrong logins
# (it fuzzes /api/auth/login too) never throttle them (5 failures per account).
ROLES = {
    "user": ("fuzz-user-q7", "fuzz-user-password-q7", "user"),
    "admin": ("fuzz-admin-q7", "fuzz-admin-password-q7", "admin"),
}
HEALTH_INTERVAL = 0.5
# What makes coverage.py measure a Python process it did not start (its `patch = subprocess`).
COVERAGE_STARTERS = frozenset({"COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAKEDOCK_")}
    env.update(
        {
            "WAKEDOCK_DATA_DIR": str(data_dir),
            "WAKEDOCK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WAKEDOCK_ADMIN_EMAIL": "admin@example.com",
            "WAKEDOCK_LOG_LEVEL": "WARNING",
            "WAKEDOCK_LOG_FORMAT": "json",
            # Outbound calls to loopback and private networks are refused by the guard, as in
            # production; the namespace is the second wall.
            "WAKEDOCK_ALLOW_PRIVATE_TARGETS": "false",
            # The fuzzer sends hundreds of wrong logins from one address. Answering them 429 is
            # right (and declared), but the per-address limit would then refuse the fuzzer's own
            # login after a fuzzed logout or password change revoked its session, and every later
            # request would be a 401. The same holds per account: the fuzzer learns its own
            # username from /api/auth/me and tries it with wrong passwords. The throttle has its
            # own tests (tests/auth/test_throttle.py).
            "WAKEDOCK_LOGIN_MAX_FAILURES_PER_IP": "1000000",
            "WAKEDOCK_LOGIN_MAX_FAILURES_PER_USER": "1000000",
        }
    )
    if database_url:
        env["WAKEDOCK_DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def running_server(out: Path, database_url: str | None) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = out / "server.log"
    with log.open("ab") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wakedock", "serve", "--port", str(port)],
            env=server_env(out / "data", database_url),
            stdout=handle,
            stderr=handle,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def create_accounts(base: str) -> dict[str, int]:
    """Create the fuzzed accounts; their ids by role, and the bootstrap admin's as "bootstrap"."""
    tokens = httpx.post(
        f"{base}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    tokens.raise_for_status()
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    me = httpx.get(f"{base}/api/auth/me", headers=headers).json()
    ids = {"bootstrap": int(me["id"])}
    for name, (username, password, role) in ROLES.items():
        created = httpx.post(
            f"{base}/api/users",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": password,
                "roles": [role],
            },
            headers=headers,
        )
        if created.status_code != 201:
            raise RuntimeError(f"cannot create {username}: {created.text}")
        ids[name] = int(created.json()["id"])
    return ids


class HealthPoller(threading.Thread):
    """Polls /api/health every 0.5 s and keeps each answer's latency (None for a failure)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.samples: list[float | None] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while not self.stopping.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/api/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.samples.append(time.perf_counter() - started if ok else None)
                self.stopping.wait(HEALTH_INTERVAL)

    def stop(self) -> dict[str, Any]:
        self.stopping.set()
        self.join()
        times = sorted(s for s in self.samples if s is not None)
        return {
            "samples": len(self.samples),
            "failed": sum(1 for s in self.samples if s is None),
            "max_seconds": times[-1] if times else None,
            "p50_seconds": times[len(times) // 2] if times else None,
            "p99_seconds": times[int(len(times) * 0.99)] if times else None,
        }


def run_schemathesis(
    base: str, role: str, ids: dict[str, int], out: Path, max_examples: int, seed: int
) -> dict[str, Any]:
    username, password, _ = ROLES[role]
    report_dir = out / role
    # The fuzzer is the run's busiest Python process and runs none of WakeDock's code: under
    # `make pytest` coverage.py would trace it for nothing (about twice the CPU), taking the
    # cores the measured server needs. The server keeps the variables, so it is measured.
    env = {k: v for k, v in os.environ.items() if k not in COVERAGE_STARTERS}
    env.update(
        {
            "FUZZ_BASE_URL": base,
            "FUZZ_USERNAME": username,
            "FUZZ_PASSWORD": password,
            "FUZZ_SELF_ID": str(ids[role]),
            "FUZZ_OTHER_ADMIN_ID": str(ids["bootstrap"]),
            "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        }
    )
    started = time.monotonic()
    with (out / f"{role}.log").open("wb") as log:
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(CONFIG),
                "--no-color",
                "run",
                f"{base}/openapi.json",
                "--max-examples",
                str(max_examples),
                "--seed",
                str(seed),
                "--report",
                "ndjson",
                "--report-dir",
                str(report_dir),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    result = parse_report(next(report_dir.glob("*.ndjson")), base)
    result.update(exit_code=code, seconds=round(time.monotonic() - started, 1))
    return result


def curl(request: dict[str, Any], base: str) -> str:
    """A shell line that replays one recorded request: ``$B`` is the base URL, ``$T`` a token."""
    parts = ["curl", "-X", shlex.quote(request["method"])]
    for name, values in request.get("headers", {}).items():
        for value in values:
            if name.lower() == "authorization" and value == "[Filtered]":
                parts.append('-H "Authorization: Bearer $T"')
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
    prefix = ""
    body = request.get("body")
    if body is not None:
        raw = base64.b64decode(body["$base64"]) if "$base64" in body else str(body).encode()
        if b"\0" in raw or not raw.isascii():
            prefix = f"printf %s {raw.hex()} | xxd -r -p | "
            parts += ["--data-binary", "@-"]
        else:
            parts += ["--data-binary", shlex.quote(raw.decode())]
    uri = str(request["uri"])
    rest = uri[len(base) :] if uri.startswith(base) else uri
    parts.append('"$B"' + shlex.quote(rest))
    return prefix + " ".join(parts)


def parse_report(path: Path, base: str) -> dict[str, Any]:
    """Failed checks (as Schemathesis deduplicates them) and every 5xx answer, from NDJSON."""
    failures: dict[tuple[str, str, str], dict[str, Any]] = {}
    server_errors: dict[tuple[str, str, int], dict[str, Any]] = {}
    errors: dict[tuple[str, str], dict[str, Any]] = {}
    cases = 0
    with path.open() as lines:
        for line in lines:
            event = json.loads(line)
            error = event.get("NonFatalError")
            if error is not None:
                value = error.get("value") or {}
                key = (str(value.get("type")), str(error.get("label")))
                entry = errors.setdefault(
                    key,
                    {
                        "type": key[0],
                        "operation": key[1],
                        "message": str(value.get("message", "")).splitlines()[:1],
                        "count": 0,
                    },
                )
                entry["count"] += 1
                continue
            finished = event.get("ScenarioFinished")
            if finished is None:
                continue
            recorder = finished["recorder"]
            interactions = recorder.get("interactions", {})
            cases += len(recorder.get("cases", {}))
            for case_id, interaction in interactions.items():
                response = interaction.get("response") or {}
                status = int(response.get("status_code") or 0)
                if status >= 500:
                    request = interaction["request"]
                    path_ = recorder["cases"][case_id]["value"]["path"]
                    key = (request["method"], path_, status)
                    entry = server_errors.setdefault(
                        key, {"count": 0, "curl": curl(request, base), "body": ""}
                    )
                    entry["count"] += 1
                    content = response.get("content") or {}
                    if "$base64" in content:
                        entry["body"] = base64.b64decode(content["$base64"]).decode(
                            errors="replace"
                        )[:300]
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check["status"] == "success":
                        continue
                    info = (check.get("failure_info") or {}).get("failure") or {}
                    key = (check["name"], info.get("operation", "?"), info.get("title", ""))
                    if key in failures:
                        failures[key]["count"] += 1
                        continue
                    interaction = interactions.get(case_id) or {}
                    content = (interaction.get("response") or {}).get("content") or {}
                    answer = base64.b64decode(content.get("$base64", "")).decode(errors="replace")
                    failures[key] = {
                        "check": check["name"],
                        "code": info.get("code"),
                        "operation": info.get("operation"),
                        "title": info.get("title"),
                        "message": info.get("message"),
                        "status": (interaction.get("response") or {}).get("status_code"),
                        "answer": answer[:300],
                        "curl": curl(interaction["request"], base) if interaction else None,
                        "count": 1,
                    }
    return {
        "cases": cases,
        "errors": list(errors.values()),
        "failures": list(failures.values()),
        "server_errors": [
            {"method": m, "path": p, "status": s, **e} for (m, p, s), e in server_errors.items()
        ],
    }


def logged_errors(log: Path) -> list[dict[str, Any]]:
    """The server's ERROR records (unhandled exceptions) with their traceback's last lines."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or record.get("level") not in ("ERROR", "CRITICAL"):
            continue
        trace = str(record.get("exc_info") or "").strip().splitlines()
        frames = [t.strip() for t in trace if t.strip().startswith("File ")]
        # Where in our code: the deepest frame above the database layer, else the deepest one.
        ours = [f for f in frames if "/wakedock/" in f and "/wakedock/db/" not in f] or frames
        # The exception's own line: the first unindented line after the last frame.
        last_frame = max((i for i, t in enumerate(trace) if t.startswith("  File ")), default=-1)
        raised = [t for t in trace[last_frame + 1 :] if t and not t[0].isspace()][:1]
        # One entry per route and exception: ids in the path are folded into {n}.
        message = re.sub(r"/\d+(?=/|$)", "/{n}", str(record.get("message")).strip())
        key = (message, raised[-1] if raised else "")
        entry = seen.setdefault(
            key,
            {
                "message": message,
                "exception": key[1][:300],
                "where": (ours or [""])[-1],
                "count": 0,
            },
        )
        entry["count"] += 1
    return list(seen.values())


def isolation() -> dict[str, Any]:
    """What the network looks like from here: interfaces, and whether a public address answers."""
    interfaces = sorted(name for _, name in socket.if_nameindex())
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(3)
    try:
        # 192.0.2.1 is TEST-NET-1 (RFC 5737): public in form, never routed to anyone.
        probe.connect(("192.0.2.1", 443))
        public = "reachable"
    except OSError as exc:
        public = "unreachable" if exc.errno == errno.ENETUNREACH else f"error: {exc}"
    finally:
        probe.close()
    return {"interfaces": interfaces, "public_address": public}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--roles", default="user,admin")
    parser.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to run unless this network namespace has only loopback",
    )
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    summary: dict[str, Any] = {"isolation": isolation(), "roles": {}}
    if args.require_isolation and summary["isolation"]["interfaces"] != ["lo"]:
        raise SystemExit(f"not isolated: {summary['isolation']}")
    with running_server(out, args.database_url) as base:
        ids = create_accounts(base)
        poller = HealthPoller(base)
        poller.start()
        try:
            # The plain user first: the admin's run may disable or delete that account.
            for role in args.roles.split(","):
                summary["roles"][role] = run_schemathesis(
                    base, role, ids, out, args.max_examples, args.seed
                )
        finally:
            summary["health"] = poller.stop()
    summary["logged_errors"] = logged_errors(out / "server.log")
    summary["seconds"] = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
