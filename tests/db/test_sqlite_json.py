"""SQLite's JSON columns are read by orjson, and what only ``json.loads`` reads the same way
still reads as it did (``db.engine._json_loads``): a real database, values written as text."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, text

from wakedock.db.engine import create_engine


async def test_json_columns_read_back_as_json_loads_reads_them(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", JSON))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            await conn.execute(insert(table), [{"id": 1, "v": {"a": [1, "é", None, 2.5]}}])
            # As json.dumps wrote them before values were bounded: NaN, a 30-digit integer.
            await conn.execute(
                text("INSERT INTO t (id, v) VALUES (2, :a), (3, :b)"),
                {"a": '{"x": NaN}', "b": '{"big": 123456789012345678901234567890}'},
            )
            rows = dict((await conn.execute(select(table.c.id, table.c.v))).all())
    finally:
        await engine.dispose()
    assert rows[1] == {"a": [1, "é", None, 2.5]}
    assert math.isnan(rows[2]["x"])
    big = rows[3]["big"]
    assert isinstance(big, int)
    assert big == 123456789012345678901234567890
