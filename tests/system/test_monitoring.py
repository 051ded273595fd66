"""What operators monitor: the alert rules (checked by promtool), the Grafana dashboard (every
metric it names is one a real app's /metrics exports), the metrics token, the request id."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import assert_error, make_settings, skip_or_fail
from wakedock.log import JsonFormatter, RequestIdFilter, TextFormatter
from wakedock.main import create_app

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "wakedock-rules.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "wakedock-rules.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "wakedock.json"
# Series Prometheus itself adds to every scrape.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": (),
    "info": ("_info",),
}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    text = _GROUPING.sub(" ", _RANGE.sub(" ", _MATCHERS.sub(" ", _STRING.sub('""', expr))))
    names = set()
    for match in _IDENT.finditer(text):
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation
        if match.group().lower() not in _KEYWORDS:
            names.add(match.group())
    return names


def test_metric_names_of_promql() -> None:
    assert metric_names(
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{route!~".*/x", b="c"}'
        "[$__rate_interval]))) / ignoring(x) sum(b_total offset 5m) > 1e3 and on() up"
    ) == {"a_bucket", "b_total", "up"}


def rule_exprs() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query", "")
        if isinstance(query, str) and query.startswith("label_values("):
            exprs.append(query.removeprefix("label_values(").rsplit(",", 1)[0])
    return exprs


def exported_names(exposition: str) -> tuple[set[str], set[str]]:
    """Every series name the exposition can carry, and its families' names."""
    names: set[str] = set()
    families: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        families.add(family.name)
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names, families


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        skip_or_fail("promtool missing (Debian package prometheus; .ci/run installs it)")
    assert path
    return path


def _run(*args: str, cwd: Path) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_rules_their_tests_and_the_dashboard_queries(tmp_path: Path) -> None:
    promtool = _promtool()
    _run(promtool, "check", "rules", str(RULES), cwd=RULES.parent)
    _run(promtool, "test", "rules", RULE_TESTS.name, cwd=RULES.parent)
    # The dashboard's queries, with Grafana's variables filled in, parse as PromQL.
    filled = [
        expr.replace("$__rate_interval", "5m")
        .replace("$job", "wakedock")
        .replace("$instance", ".*")
        for expr in dashboard_exprs()
    ]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [{"record": f"dashboard:q{i}", "expr": e} for i, e in enumerate(filled)],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    _run(promtool, "check", "rules", str(path), cwd=tmp_path)


@pytest.fixture
async def app_with(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Any]:
    """``app_with(**settings)``: a real app on a copy of the migrated SQLite database."""
    async with contextlib.AsyncExitStack() as stack:
        count = iter(range(100))

        async def build(**overrides: Any) -> httpx.AsyncClient:
            database = tmp_path / f"db{next(count)}.sqlite"
            shutil.copy(sqlite_template, database)
            url = f"sqlite+aiosqlite:///{database}"
            app = create_app(make_settings(tmp_path / "data", url, **overrides))
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://wd.test")
            )

        yield build


async def test_every_metric_the_dashboard_and_rules_name_is_exported(app_with: Any) -> None:
    client = await app_with()
    await client.get("/api/health")
    exposition = (await client.get("/metrics")).text
    names, families = exported_names(exposition)
    named = {name for expr in rule_exprs() + dashboard_exprs() for name in metric_names(expr)}
    assert named, "no metric found in the rules and dashboard"
    missing = named - names - SYNTHETIC
    assert not missing, f"named by the dashboard or rules but not exported: {sorted(missing)}"
    # And the dashboard shows every WakeDock metric.
    in_dashboard = {name for expr in dashboard_exprs() for name in metric_names(expr)}
    for family in (f for f in families if f.startswith("wakedock_") and not f.endswith("_created")):
        assert any(name.startswith(family) for name in in_dashboard), f"{family} not shown"


async def test_the_metrics_token_guards_metrics(
    app_with: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = "metrics-token-0123456789abcdef"
    client = await app_with(metrics_token=token)
    caplog.set_level(logging.DEBUG)
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {token}x"},
        {"Authorization": f"Basic {token}"},
        {"Authorization": token},
    ):
        refused = await client.get("/metrics", headers=headers)
        assert_error(refused, 401, "unauthorized")
        assert refused.headers["www-authenticate"] == "Bearer"
        assert token not in refused.text
    allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200
    assert "wakedock_http_requests_total" in allowed.text
    assert token not in caplog.text
    # Everything else is as open (or closed) as before.
    assert (await client.get("/api/health")).status_code == 200
    open_client = await app_with()
    assert (await open_client.get("/metrics")).status_code == 200


async def test_a_request_id_in_every_answer_error_and_log_line(app_with: Any) -> None:
    client = await app_with()
    app = client._transport.app  # type: ignore[attr-defined]
    logger = logging.getLogger("wakedock.test_request_id")

    async def work() -> dict[str, str]:
        logger.warning("working on it")
        return {"ok": "yes"}

    async def boom() -> None:
        raise RuntimeError("kaboom")

    app.add_api_route("/test/work", work, methods=["POST"])
    app.add_api_route("/test/boom", boom, methods=["POST"])
    out = {fmt: io.StringIO() for fmt in ("json", "text")}
    handlers = []
    for fmt, stream in out.items():
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        handler.addFilter(RequestIdFilter())
        handlers.append(handler)
        logging.getLogger().addHandler(handler)
    try:
        given = await client.post("/test/work", headers={"X-Request-ID": "trace-42.a:b_c"})
        generated = await client.post("/test/work")
        failed = await client.post("/test/boom", headers={"X-Request-ID": "boom-1"})
        logger.warning("outside any request")
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)

    assert given.headers["x-request-id"] == "trace-42.a:b_c"
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert failed.status_code == 500
    assert failed.headers["x-request-id"] == "boom-1"
    assert assert_error(failed, 500, "internal_error")["request_id"] == "boom-1"
    lines = [json.loads(line) for line in out["json"].getvalue().splitlines()]
    by_message = {line["message"]: line["request_id"] for line in lines}
    assert by_message["outside any request"] == "-"
    assert {by_message["unhandled error on POST /test/boom"]} == {"boom-1"}
    working = [line["request_id"] for line in lines if line["message"] == "working on it"]
    assert working == ["trace-42.a:b_c", generated.headers["x-request-id"]]
    text = out["text"].getvalue()
    assert "[trace-42.a:b_c]: working on it" in text
    assert "[boom-1]: unhandled error on POST /test/boom" in text

    # Every error answer carries the id of its request; a doubtful incoming id is replaced.
    for bad in ("a b", "x" * 129, "<script>", "id\u00e9", ""):
        response = await client.get(
            "/api/notifications/1", headers=[(b"X-Request-ID", bad.encode())]
        )
        error = assert_error(response, 401)
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"]), bad
        assert error["request_id"] == response.headers["x-request-id"]
    too_large = await client.post(
        "/api/auth/login", content=b"x" * (2 * 1024 * 1024), headers={"X-Request-ID": "big-1"}
    )
    assert assert_error(too_large, 413)["request_id"] == "big-1"
    missing = await client.get("/api/nothing-here", headers={"X-Request-ID": "nf-1"})
    assert assert_error(missing, 404)["request_id"] == "nf-1"


async def test_sockets_get_an_id_but_keep_the_servers_own_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The socket endpoint writes straight to Uvicorn's protocol only when handed the server's
    own ``send`` (``realtime.websocket.direct_writer``): the request id must not wrap it."""
    from wakedock import gateway as gateway_module
    from wakedock.request_id import REQUEST_ID, SCOPE_KEY, RequestIdMiddleware

    seen: list[tuple[object, str | None]] = []

    async def endpoint(*args: Any, **_: Any) -> None:
        send = args[3] if len(args) > 3 else args[2]
        seen.append((send, REQUEST_ID.get()))

    async def send(_: Any) -> None:
        raise AssertionError("nothing is sent here")

    async def receive() -> Any:
        raise AssertionError("nothing is received here")

    def scope(path: str) -> dict[str, Any]:
        return {"type": "websocket", "path": path, "headers": [(b"x-request-id", b"ws-1")]}

    monkeypatch.setattr(gateway_module, "serve_socket", endpoint)
    fake_app = type(
        "App",
        (),
        {
            "state": type("S", (), {"settings": make_settings(Path("/x"), "")}),
            "user_middleware": [],
        },
    )
    socket_scope = scope("/ws/notifications/7")
    await in_own_task(gateway_module.Gateway(fake_app())(socket_scope, receive, send))  # type: ignore[arg-type]
    await in_own_task(RequestIdMiddleware(endpoint)(scope("/ws/other"), receive, send))
    assert seen == [(send, "ws-1"), (send, "ws-1")]
    assert socket_scope[SCOPE_KEY] == "ws-1"


async def in_own_task(coroutine: Any) -> None:
    """Run ``coroutine`` in a task of its own, as Uvicorn runs each connection."""
    await asyncio.create_task(coroutine)
