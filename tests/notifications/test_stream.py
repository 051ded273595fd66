"""The stream ledger (``notifications.stream``): one module writes it, its hot reads are prebuilt.

The ordering contract (ids commit in order, positions without gaps, the replay floor) holds only
if every write of ``notification_user_state`` takes the lock the way ``stream`` does; it used to
be one section of a 770-line service. Its reads run for every socket that opens, resumes or
lags: built per call, they cost more CPU than SQLite's part of running them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from tests.conftest import UserFactory
from wakedock.notifications import stream

SRC = Path(__file__).resolve().parents[2] / "src" / "wakedock"
TABLE = "notification_user_state"


def test_only_the_stream_module_touches_the_ledger_table() -> None:
    users = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            named = isinstance(node, ast.Name) and node.id == "NotificationUserState"
            if named or (isinstance(node, ast.Constant) and node.value == TABLE):
                users.append(path.relative_to(SRC).as_posix())
    assert sorted(set(users)) == ["notifications/models.py", "notifications/stream.py"]


@contextmanager
def executed(engine: Any) -> Iterator[list[Any]]:
    """The statement objects the engine executes meanwhile."""
    seen: list[Any] = []

    def record(_conn: Any, clause: Any, *_args: Any) -> None:
        seen.append(clause)

    event.listen(engine.sync_engine, "before_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_execute", record)


async def test_hot_paths_run_the_prebuilt_statements(
    app: Any, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    created = await client.post("/api/notifications", json={"title": "one"}, headers=user.headers)
    assert created.status_code == 201, created.text
    first = created.json()["id"]
    engine = app.state.engine
    now = app.state.clock.now()
    async with app.state.sessionmaker() as session:
        with executed(engine) as seen:
            where = await stream.standing(session, user_id=user.id, since=first, now=now)
            rows = await stream.list_stream(
                session, user_id=user.id, after_seq=0, limit=10, now=now
            )
            position = await stream.next_position(session, user_id=user.id)
        listed = [row.id for row in rows]
        await session.rollback()
    assert (where.newest, where.after, where.unread) == (1, 1, 1)
    assert listed == [first]
    assert position == 2
    dialect = engine.dialect.name
    assert [id(s) for s in seen] == [
        id(stream._STANDING),
        id(stream._STREAM),
        id(stream._lock_one(dialect)),
    ]
