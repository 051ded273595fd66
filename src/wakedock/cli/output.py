"""Listings for people and for pipes: a table on a terminal; tab-separated lines, never
truncated, when stdout is not one; JSON (``--json``) for programs."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    text = value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else str(value)
    # One record a line: no tab or line break of a value may split it.
    return " ".join(text.replace("\t", " ").splitlines())


def print_json(value: BaseModel | Sequence[BaseModel] | dict[str, Any]) -> None:
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    elif isinstance(value, dict):
        data = value
    else:
        data = [item.model_dump(mode="json") for item in value]
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def print_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[_cell(value) for value in row] for row in rows]
    if not sys.stdout.isatty():
        for row in cells:
            sys.stdout.write("\t".join(row) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for row in cells:
        table.add_row(*row)
    Console().print(table)
