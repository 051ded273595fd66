"""Hostile and odd input gets a clean 4xx in the error shape, on SQLite and PostgreSQL (issue 17).

Findings pinned here: integers beyond 64 bits in paths, queries and bodies (9), malformed
cursors (9), date-times at the calendar's edges (9), NUL characters (9), loose types (15),
405 answers listing one method (16), and request bodies without a size limit (8). The
"keep it fixed" tests walk the OpenAPI and the request models, so a new route or field
cannot forget its bounds.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from tests.conftest import UserFactory, assert_error
from wakedock.main import create_app
from wakedock.settings import Settings

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BEYOND = str(2**63)
HUGE = str(10**30)


def spec_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def count_rows(app: Any, table: str) -> int:
    from sqlalchemy import text

    async with app.state.sessionmaker() as db:
        statement = text(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed table name)
        return int((await db.execute(statement)).scalar_one())


# ---------------------------------------------------------------- integers beyond 64 bits


async def test_ids_beyond_64_bits_in_any_path_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """GET /api/notifications/9223372036854775808 and 46 routes like it answered 500."""
    spec = (await client.get("/openapi.json")).json()
    tried = 0
    for method, path, op in spec_operations(spec):
        params = [p for p in op.get("parameters", []) if p["in"] == "path"]
        ints = [p["name"] for p in params if "integer" in json.dumps(p["schema"])]
        if not ints:
            continue
        for value in (BEYOND, HUGE):
            url = path
            for param in params:
                url = url.replace(f"{{{param['name']}}}", value if param["name"] in ints else "x")
            body = {} if "requestBody" in op else None
            response = await client.request(method, url, json=body, headers=admin_headers)
            error = assert_error(response, 422, "validation_error")
            assert any(d["loc"][:1] == ["path"] for d in error["details"]), (method, url, error)
            tried += 1
    assert tried >= 2 * 39  # every operation with an integer in its path (39 of them)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/audit?actor_id={BEYOND}",
        f"/api/audit?actor_id={HUGE}",
        f"/api/notifications/stream?since={BEYOND}",
        f"/api/dashboards/widgets/1/actions/{BEYOND}",
    ],
)
async def test_integers_beyond_64_bits_in_queries_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], url: str
) -> None:
    method = "POST" if "/actions/" in url else "GET"
    response = await client.request(method, url, headers=admin_headers)
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "body", "table"),
    [
        ("/api/notifications", {"title": "t", "user_id": 2**63}, "notifications"),
        ("/api/notifications", {"title": "t", "user_ids": [1, 2**63]}, "notifications"),
        ("/api/notifications", {"title": "t", "user_ids": [10**30]}, "notifications"),
        ("/api/notifications", {"title": "t", "data": {"n": 2**64}}, "notifications"),
        (
            "/api/notifications/broadcast",
            {"title": "t", "target": {"user_ids": [2**63]}},
            "notification_broadcasts",
        ),
        ("/api/notifications/broadcast/audience", {"target": {"user_ids": [2**63]}}, None),
        ("/api/dashboards/templates", {"layout_id": 2**63, "name": "x"}, "dashboard_templates"),
    ],
)
async def test_integers_beyond_64_bits_in_bodies_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    app: Any,
    admin_headers: dict[str, str],
    path: str,
    body: dict[str, Any],
    table: str | None,
) -> None:
    before = await count_rows(app, table) if table else 0
    response = await client.post(path, json=body, headers=admin_headers)
    assert_error(response, 422, "validation_error")
    if table:
        assert await count_rows(app, table) == before


async def test_default_layout_beyond_64_bits_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.put(
        "/api/dashboards/preferences", json={"default_layout_id": 2**63}, headers=admin_headers
    )
    assert_error(response, 422, "validation_error")
    layout = await client.post("/api/dashboards", json={"name": "L"}, headers=admin_headers)
    assert layout.status_code == 201, layout.text
    save = await client.put(
        f"/api/dashboards/{layout.json()['id']}/layout",
        json={"widgets": [{"id": 2**63, "x": 0, "y": 0, "w": 1, "h": 1}]},
        headers=admin_headers,
    )
    assert_error(save, 422, "validation_error")


# ---------------------------------------------------------------- cursors

LISTS = [
    "/api/users",
    "/api/audit",
    "/api/notifications",
    "/api/notifications/broadcasts",
    "/api/notifications/deliveries",
]
BAD_CURSORS = [
    "eyJpZCI6IngifQ",  # {"id":"x"}
    cursor_of('{"id":null}'),
    cursor_of('{"id":[1]}'),
    cursor_of('{"id":1e400}'),
    cursor_of('{"id":1.5}'),
    cursor_of('{"id":true}'),
    cursor_of('{"id":"7"}'),
    cursor_of('{"id":' + BEYOND + "}"),
    cursor_of('{"id":-1}'),
    cursor_of("[1]"),
    cursor_of("[" * 5000),
    "%%%not-base64",
    "x" * 600,
]


@pytest.mark.parametrize("path", LISTS)
async def test_malformed_cursors_are_422_on_every_list(
    client: httpx.AsyncClient, admin_headers: dict[str, str], path: str
) -> None:
    for cursor in BAD_CURSORS:
        response = await client.get(path, params={"cursor": cursor}, headers=admin_headers)
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["loc"][-1] == "cursor", (cursor, error)
    good = await client.get(path, params={"cursor": cursor_of('{"id":5}')}, headers=admin_headers)
    assert good.status_code == 200, good.text
    spec = (await client.get("/openapi.json")).json()
    with_cursor = {
        path
        for method, path, op in spec_operations(spec)
        if any(p["name"] == "cursor" for p in op.get("parameters", []))
    }
    assert with_cursor == set(LISTS)  # every list that takes a cursor is in this table


# ---------------------------------------------------------------- date-times

EDGE_DATETIMES = [
    "9999-12-31T23:59:59-23:59",  # past year 9999 in UTC
    "0001-01-01T00:00:00+23:00",  # before year 1 in UTC
    "10000-01-01T00:00:00Z",
    "0.5",
    "1700000000",
    "2030-01-01",  # a date is not a date-time
    "2030-02-30T00:00:00Z",
    "yesterday",
]


@pytest.mark.parametrize("path", ["/api/notifications", "/api/audit"])
@pytest.mark.parametrize("param", ["since", "until"])
async def test_edge_datetimes_in_queries_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], path: str, param: str
) -> None:
    for value in EDGE_DATETIMES:
        response = await client.get(path, params={param: value}, headers=admin_headers)
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["loc"] == ["query", param], (value, error)
    for value in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2030-01-01T00:00:00+23:00"):
        ok = await client.get(path, params={param: value}, headers=admin_headers)
        assert ok.status_code == 200, (value, ok.text)


async def test_edge_datetimes_in_bodies_are_422_and_store_nothing(
    client: httpx.AsyncClient, app: Any, admin_headers: dict[str, str]
) -> None:
    created = await client.post("/api/notifications", json={"title": "t"}, headers=admin_headers)
    assert created.status_code == 201
    notification_id = created.json()["id"]
    before = await count_rows(app, "notifications")
    for value in [*EDGE_DATETIMES, 1700000000, 0.5, True]:
        create = await client.post(
            "/api/notifications", json={"title": "t", "expires_at": value}, headers=admin_headers
        )
        assert_error(create, 422, "validation_error")
        update = await client.put(
            f"/api/notifications/{notification_id}",
            json={"expires_at": value},
            headers=admin_headers,
        )
        assert_error(update, 422, "validation_error")
        token = await client.post(
            "/api/auth/api-tokens", json={"name": "t", "expires_at": value}, headers=admin_headers
        )
        assert_error(token, 422, "validation_error")
    assert await count_rows(app, "notifications") == before
    assert await count_rows(app, "api_tokens") == 0
    # The last instant of year 9999, spelled in UTC or with an offset, is fine.
    for value in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59+01:00"):
        far = await client.post(
            "/api/notifications", json={"title": "t", "expires_at": value}, headers=admin_headers
        )
        assert far.status_code == 201, far.text
    listed = await client.get("/api/notifications", headers=admin_headers)
    assert listed.status_code == 200, listed.text


# ---------------------------------------------------------------- NUL characters


async def test_nul_is_refused_everywhere_with_422(
    client: httpx.AsyncClient, app: Any, admin_headers: dict[str, str]
) -> None:
    """A NUL in any string crashed asyncpg (500), even the unauthenticated login's."""
    json_h = {**admin_headers, "Content-Type": "application/json"}
    form_h = {"Content-Type": "application/x-www-form-urlencoded"}
    cases: list[tuple[str, str, dict[str, str], bytes | None]] = [
        (
            "POST",
            "/api/auth/login",
            {"Content-Type": "application/json"},
            b'{"username":"ad\\u0000min","password":"x"}',
        ),
        (
            "POST",
            "/api/auth/login",
            {"Content-Type": "application/json"},
            b'{"username":"admin","password":"\\\\\\u0000"}',
        ),
        ("POST", "/api/auth/token", form_h, b"username=ad%00min&password=x"),
        ("POST", "/api/auth/token", form_h, b"username=admin&password=x\x00"),
        ("POST", "/api/notifications", json_h, b'{"title":"a\\u0000b"}'),
        ("POST", "/api/notifications", json_h, b'{"title":"t","data":{"k\\u0000":1}}'),
        ("POST", "/api/notifications", json_h, b'{"title":"t","data":{"k":["\\u0000"]}}'),
        (
            "POST",
            "/api/users",
            json_h,
            b'{"username":"nul","email":"n@example.com","password":"p\\u0000assword-1"}',
        ),
        ("PATCH", "/api/auth/me", json_h, b'{"timezone":"UTC\\u0000"}'),
        ("GET", "/api/notifications?q=a%00b", admin_headers, None),
        ("GET", "/api/audit?actor_name=%00", admin_headers, None),
        ("GET", "/api/notifications/templates/a%00b", admin_headers, None),
        ("GET", "/api/dashboards/shared/a%00b", {}, None),
    ]
    before = await count_rows(app, "notifications"), await count_rows(app, "users")
    for method, url, headers, content in cases:
        response = await client.request(method, url, headers=headers, content=content)
        error = assert_error(response, 422, "validation_error")
        assert "NUL" in error["message"], (url, content)
    assert (await count_rows(app, "notifications"), await count_rows(app, "users")) == before
    assert (await client.get("/api/auth/me", headers=admin_headers)).json()["timezone"] == "UTC"
    # Look-alikes are text: an escaped backslash before ``u0000``, ``%2500`` in a form.
    response = await client.post(
        "/api/notifications",
        content=b'{"title":"C:\\\\u0000 and %00"}',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "C:\\u0000 and %00"
    login = await client.post(
        "/api/auth/token",
        content=b"username=admin%2500&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(login, 401)


# ---------------------------------------------------------------- loose types


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/users/{user}", {"is_active": 0}),
        ("PATCH", "/api/users/{user}", {"is_active": "yes"}),
        ("PATCH", "/api/users/{user}", {"is_active": "false"}),
        ("POST", "/api/dashboards", {"name": "d", "columns": "12"}),
        ("POST", "/api/dashboards", {"name": "d", "columns": 12.0}),
        ("POST", "/api/dashboards", {"name": "d", "columns": True}),
        ("PUT", "/api/dashboards/preferences", {"show_grid": 1}),
        ("PATCH", "/api/notifications/preferences", {"email_enabled": "on"}),
        ("POST", "/api/notifications", {"title": "t", "ttl_seconds": "60"}),
        ("POST", "/api/notifications", {"title": "t", "user_id": "1"}),
        ("POST", "/api/notifications/subscriptions", {"topic": "a", "is_active": "true"}),
        (
            "POST",
            "/api/notifications/channels",
            {"name": "c", "type": "webhook", "config": {"url": "https://x.test/"}, "is_active": 1},
        ),
        ("POST", "/api/notifications/broadcast/audience", {"target": {"all": "true"}}),
        # A channel's own config is part of the request too.
        *(
            ("POST", "/api/notifications/channels", {"name": "c", "type": kind, "config": config})
            for kind, config in [
                ("webhook", {"url": "https://x.test/", "timeout_seconds": "5"}),
                ("webhook", {"url": "https://x.test/", "timeout_seconds": True}),
                (
                    "webhook",
                    {"url": "https://x.test/", "headers": {f"X-{i}": "v" for i in range(51)}},
                ),
                ("email", {"host": "smtp.x.test", "from_address": "a@x.test", "port": "587"}),
                ("email", {"host": "smtp.x.test", "from_address": "a@x.test", "port": 587.5}),
                (
                    "webpush",
                    {
                        "vapid_public_key": "B" * 40,
                        "vapid_private_key": "k" * 40,
                        "subject": "mailto:a@x.test",
                        "ttl_seconds": 10**12,
                    },
                ),
            ]
        ),
    ],
)
async def test_loose_types_are_refused(
    client: httpx.AsyncClient,
    make_user: UserFactory,
    admin_headers: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    user = await make_user()
    response = await client.request(
        method, path.format(user=user.id), json=body, headers=admin_headers
    )
    assert_error(response, 422, "validation_error")
    if "/api/users/" in path:
        me = await client.get(f"/api/users/{user.id}", headers=admin_headers)
        assert me.json()["is_active"] is True


# ---------------------------------------------------------------- 405 and Allow


async def test_405_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    several = 0
    for path, item in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        if "/shared/" in url:
            url = url.replace("/1", "/abc")
        if "templates/1" in url and "dashboards" not in url:
            url = url.replace("templates/1", "templates/name")
        # Allow names what the URL answers; a literal path (/templates/preview) is its own
        # resource, not also /templates/{name} (the name "preview" is reserved).
        own = {m.upper() for m in item}
        documented = own
        if "{" in path:
            documented = {
                m.upper()
                for other, methods in spec["paths"].items()
                if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", other), url)
                for m in methods
            }
        # OPTIONS is no route's; other methods may belong to a neighbouring template.
        for method in ("OPTIONS", "PATCH", "PUT", "DELETE", "POST"):
            if method in documented:
                continue
            response = await client.request(method, url)
            if method != "OPTIONS" and response.status_code != 405:
                continue
            assert_error(response, 405, "method_not_allowed")
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert own <= allowed <= documented, (method, path, allowed, own, documented)
        several += len(item) > 1
    assert several >= 20
    for url, methods in [
        ("/api/notifications/1", "DELETE, GET, PUT"),
        ("/api/users/1", "DELETE, GET, PATCH"),
        ("/api/notifications/channels/1", "DELETE, GET, PATCH"),
        ("/api/dashboards/1", "DELETE, GET, PATCH"),
        ("/api/notifications/preferences", "GET, PATCH, PUT"),
        ("/api/notifications/templates/preview", "POST"),
    ]:
        response = await client.request("OPTIONS", url)
        assert_error(response, 405, "method_not_allowed")
        assert ", ".join(sorted(response.headers["allow"].split(", "))) == methods


async def test_preview_is_not_a_template_name(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """The fuzz run found OPTIONS /api/notifications/templates/preview advertising GET, PUT,
    PATCH and DELETE (those of /templates/{name}); the literal path is its own resource."""
    response = await client.post(
        "/api/notifications/templates",
        json={"name": "preview", "title_template": "x"},
        headers=admin_headers,
    )
    assert_error(response, 422, "validation_error")
    listed = await client.get("/api/notifications/templates", headers=admin_headers)
    assert all(t["name"] != "preview" for t in listed.json())


# ---------------------------------------------------------------- request size


@pytest.fixture
async def small_limits_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings.model_copy(update={"max_request_bytes": 4096}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, app


async def test_bodies_over_the_limit_are_413_before_anything_runs(
    client: httpx.AsyncClient, app: Any, admin_headers: dict[str, str]
) -> None:
    """A 10 MB ``data`` was stored (201) and returned by every list."""
    before = await count_rows(app, "notifications")
    big = {"title": "t", "data": {"blob": "x" * (2 * 1024 * 1024)}}
    response = await client.post("/api/notifications", json=big, headers=admin_headers)
    error = assert_error(response, 413, "payload_too_large")
    assert "1048576" in error["message"]

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title":"t","data":{"blob":"'
        for _ in range(40):
            yield b"y" * 32768
        yield b'"}}'

    streamed = await client.post(
        "/api/notifications",
        content=chunks(),
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert_error(streamed, 413, "payload_too_large")
    login = await client.post(
        "/api/auth/login", json={"username": "admin", "password": "p" * (2 * 1024 * 1024)}
    )
    assert_error(login, 413, "payload_too_large")
    assert await count_rows(app, "notifications") == before


async def test_the_request_size_limit_is_a_setting(
    small_limits_client: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _ = small_limits_client
    response = await client.post("/api/auth/login", json={"username": "a", "password": "p" * 5000})
    error = assert_error(response, 413, "payload_too_large")
    assert "4096" in error["message"]
    lying = await client.post(
        "/api/auth/login",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "999999999"},
    )
    assert lying.status_code in (413, 400)
    ok = await client.post("/api/auth/login", json={"username": "a", "password": "p" * 100})
    assert_error(ok, 401)


# ---------------------------------------------------------------- keep it fixed


def _walk_schemas(node: Any, spec: dict[str, Any], seen: set[str]) -> Any:
    """Every schema object inside ``node``, following $refs once."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from _walk_schemas(spec["components"]["schemas"][name], spec, seen)
            return
        if "type" in node:
            yield node
        for value in node.values():
            yield from _walk_schemas(value, spec, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_schemas(value, spec, seen)


async def test_every_request_integer_is_bounded_within_64_bits_in_the_openapi(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    unbounded = []
    for method, path, op in spec_operations(spec):
        inputs = [op.get("parameters", []), op.get("requestBody", {})]
        for schema in _walk_schemas(inputs, spec, set()):
            if schema.get("type") == "integer":
                low, high = schema.get("minimum"), schema.get("maximum")
                if low is None or high is None or low < INT64_MIN or high > INT64_MAX:
                    unbounded.append(f"{method} {path}: {schema}")
    assert not unbounded, "\n".join(unbounded)


def _core_schemas(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _core_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _core_schemas(value)


def test_every_request_body_is_strict_about_numbers_booleans_and_datetimes(
    tmp_path: Path,
) -> None:
    """Pydantic's lax mode took ``"is_active": "yes"``, ``"columns": "12"``, ``0.5`` as a
    date-time. Every bool, int, float and datetime a route's body holds is a strict one."""
    app = create_app(Settings(data_dir=tmp_path))
    lax = []
    bodies = 0

    def routes(items: list[Any]) -> Any:
        for route in items:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from routes(route.original_router.routes)

    for route in routes(app.router.routes):
        for param in route.dependant.body_params:
            if "form" in type(param.field_info).__name__.lower():
                continue
            bodies += 1
            core = TypeAdapter(param.field_info.annotation).core_schema
            for schema in _core_schemas(core):
                kind = schema.get("type")
                if (
                    kind in ("bool", "int", "float", "datetime")
                    and schema.get("strict") is not True
                ):
                    lax.append(f"{route.path} {param.name}: {kind}")
    assert bodies >= 30
    assert not lax, "\n".join(sorted(set(lax)))
