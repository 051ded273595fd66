"""Reading several rows of one model by primary key in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wakedock.db.base import Base

M = TypeVar("M", bound=Base)


async def by_ids(session: AsyncSession, model: type[M], ids: Sequence[Any]) -> list[M]:
    """The rows of ``model`` with these ids, in the order of ``ids``; missing ones left out.

    ``session.get`` for each costs a round trip to the database each: 20 broadcasts claimed
    together spent 20 ms on 40 of them before their first batch."""
    if not ids:
        return []
    mapper = model.__mapper__
    column = mapper.primary_key[0]
    attribute = mapper.get_property_by_column(column).key
    rows = await session.scalars(select(model).where(column.in_(list(ids))))
    found = {getattr(row, attribute): row for row in rows}
    return [found[i] for i in ids if i in found]
