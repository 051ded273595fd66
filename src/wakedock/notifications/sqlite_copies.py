"""Copies of contents inserted on SQLite: thousands of rows that differ by three columns.

A broadcast's batch is thousands of rows that differ by three columns. SQLAlchemy would
process every column of every row (a JSON encoding of ``data``, two datetimes: about 30 µs a
row), and a driver's executemany steps SQLite once a row, taking Python's lock back after
each: while the event loop writes the previous batch's frames, each of those waits out the
loop's switch interval (5,000 rows took from 50 ms to 570 ms). Here the shared columns are
processed once per content by the columns' own types, and the copies travel as one JSON
array (``json_each``): one statement, one step.

The rows are inserted one after the other under SQLite's write lock (the transaction holds
it: see ``notifications.stream``), and AUTOINCREMENT gives each the largest id plus one: the
rows of one statement have the run of ids ending at ``last_insert_rowid()``, in their order.

Two orders:
- content by content (one statement per content): each create's ids follow the one before,
  as the group commit promises (``store.insert_for``);
- user by user (``by_user``, a broadcast's batch: several contents to the same users, in one
  statement): each user's copies are inserted together. Each of the table's indexes that
  begins with ``user_id`` (four) then takes a user's copies at one place, one after the other,
  instead of visiting every user's place once per content: a third less of SQLite's time for
  a page of 20 contents to 250 users (65 → 44 ms of its thread's CPU). The contents go into a
  temporary table of this connection, read by primary key for each row. Each user's copies
  keep the order of the contents (their ids and positions increase with it).
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.notifications.models import Notification

_notifications = Notification.metadata.tables[Notification.__tablename__]
# The columns a copy of one content sets per recipient; every other column is the same.
PER_ROW = ("user_id", "seq", "held")
SHARED = tuple(c.name for c in _notifications.columns if c.name != "id" and c.name not in PER_ROW)
# (shared values, [(user id, seq, held)]) for each content.
Copies = list[tuple[dict[str, Any], list[tuple[int, int | None, bool]]]]


def _one_content_statement() -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """INSERT ... SELECT the shared values (parameters) and, per copy, the per-row values from
    one JSON array, in the array's order: SQLite's text, the parameters' names in their order,
    and the values of the fixed ones (the JSON paths)."""
    copies = func.json_each(bindparam("copies")).table_valued("key", "value").alias("copy")
    per_row = [func.json_extract(copies.c.value, f"$[{i}]") for i in range(len(PER_ROW))]
    shared = [bindparam(name, type_=_notifications.c[name].type) for name in SHARED]
    rows = select(*per_row, *shared).select_from(copies).order_by(copies.c.key)
    statement = insert(_notifications).from_select([*PER_ROW, *SHARED], rows)
    compiled = statement.compile(dialect=sqlite.dialect())
    return str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)


_ONE_CONTENT, _ONE_CONTENT_ORDER, _ONE_CONTENT_FIXED = _one_content_statement()

_CONTENTS = "temp.wakedock_copy_contents"
_COLUMNS = ", ".join(f'"{name}"' for name in SHARED)
_CREATE_CONTENTS = (
    f"CREATE TEMP TABLE IF NOT EXISTS wakedock_copy_contents (k INTEGER PRIMARY KEY, {_COLUMNS})"
)
# SQLite takes at most 32,766 parameters a statement.
_MAX_CONTENTS = 32_000 // (len(SHARED) + 1)
_ROW = "(" + ", ".join("?" * (len(SHARED) + 1)) + ")"
# The statements are built from the model's own column names, never from input.
# Each row of the JSON array: [user id, seq, held, the content's index].
_SELECT_COLUMNS = ", ".join(f'c."{name}"' for name in SHARED)
_BY_USER = (
    f'INSERT INTO notifications ("user_id", "seq", "held", {_COLUMNS}) '  # noqa: S608
    "SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), "
    f"json_extract(r.value, '$[2]'), {_SELECT_COLUMNS} "
    f"FROM json_each(?) AS r JOIN {_CONTENTS} AS c ON c.k = json_extract(r.value, '$[3]') "
    "ORDER BY r.key"
)


_DELETE_CONTENTS = f"DELETE FROM {_CONTENTS}"  # noqa: S608


@functools.cache
def _contents_insert(count: int) -> str:
    return f"INSERT INTO {_CONTENTS} VALUES " + ", ".join([_ROW] * count)  # noqa: S608


def _bound(dialect: Any, shared: dict[str, Any]) -> list[Any]:
    """A content's shared values as the columns' types send them to the driver, in SHARED's
    order."""
    values = []
    for name in SHARED:
        value = shared.get(name)
        if value is not None:
            processor = _notifications.c[name].type._cached_bind_processor(dialect)
            if processor is not None:
                value = processor(value)
        values.append(value)
    return values


async def _last_id(connection: Any) -> int:
    return int((await connection.exec_driver_sql("SELECT last_insert_rowid()")).scalar_one())


async def insert_copies(
    session: AsyncSession, copies: Copies, *, by_user: bool = False
) -> list[int]:
    """Insert the copies (in the transaction that holds the write lock); their ids, in the
    order of ``copies`` and of each content's rows."""
    connection = await session.connection()
    dialect = connection.dialect
    if by_user and 1 < len(copies) <= _MAX_CONTENTS:
        return await _insert_by_user(connection, dialect, copies)
    ids: list[int] = []
    for shared, rows in copies:
        values = dict(_ONE_CONTENT_FIXED)
        values.update(zip(SHARED, _bound(dialect, shared), strict=True))
        values["copies"] = orjson.dumps([(uid, seq, int(held)) for uid, seq, held in rows]).decode()
        await connection.exec_driver_sql(
            _ONE_CONTENT, tuple(values[name] for name in _ONE_CONTENT_ORDER)
        )
        last = await _last_id(connection)
        ids.extend(range(last - len(rows) + 1, last + 1))
    return ids


async def _insert_by_user(connection: Any, dialect: Any, copies: Copies) -> list[int]:
    user_lists = [[uid for uid, _, _ in rows] for _, rows in copies]
    await connection.exec_driver_sql(_CREATE_CONTENTS)
    parameters: list[Any] = []
    for k, (shared, _) in enumerate(copies):
        parameters.append(k)
        parameters.extend(_bound(dialect, shared))
    await connection.exec_driver_sql(_contents_insert(len(copies)), tuple(parameters))
    if all(users == user_lists[0] for users in user_lists):
        # Every content to the same users (a broadcast group's batch): user by user, each
        # user's copies in the order of the contents. Row (user j, content k) is the
        # (j * contents + k)-th inserted.
        contents = len(copies)
        rows = [
            (uid, seq, int(held), k)
            for j in range(len(user_lists[0]))
            for k, (uid, seq, held) in enumerate(copied[j] for _, copied in copies)
        ]
        first = await _insert_rows(connection, rows)
        return [
            nid for k in range(contents) for nid in range(first + k, first + len(rows), contents)
        ]
    order = sorted(
        ((k, j) for k, users in enumerate(user_lists) for j in range(len(users))),
        key=lambda kj: (user_lists[kj[0]][kj[1]], kj[0]),
    )
    rows = []
    for k, j in order:
        uid, seq, held = copies[k][1][j]
        rows.append((uid, seq, int(held), k))
    first = await _insert_rows(connection, rows)
    ids_of = [[0] * len(users) for users in user_lists]
    for offset, (k, j) in enumerate(order):
        ids_of[k][j] = first + offset
    return [nid for ids in ids_of for nid in ids]


async def _insert_rows(connection: Any, rows: list[tuple[int, int | None, int, int]]) -> int:
    """Insert the rows ([user id, seq, held, the content's index]) with the contents stored
    by ``_insert_by_user``, in their order; the first one's id."""
    await connection.exec_driver_sql(_BY_USER, (orjson.dumps(rows).decode(),))
    first: int = await _last_id(connection) - len(rows) + 1
    # In the transaction: nothing of the contents outlives it, committed or rolled back.
    await connection.exec_driver_sql(_DELETE_CONTENTS)
    return first
