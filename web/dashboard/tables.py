"""A dashboard table as data: its columns and the rows a page computed. The page shows it and its
CSV link downloads it from the same rows, so the file holds exactly what the table shows (raw
numbers in place of their formatted text), whatever page it is on."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from footfall.web.operations import csv_download

# How a column's values read on the page (web/templates/dashboard/_table.html); a CSV keeps the raw value.
# `vital` is a time in ms, or a score for CLS (the row's `metric` says which).
KINDS = ("text", "count", "number", "share", "seconds", "ms", "vital")


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a column's kind is one of {', '.join(KINDS)}")


@dataclasses.dataclass(frozen=True)
class Table:
    """`dimension`, when set, is the stats dimension (analysis/stats.py) the first column holds: a
    click on a value filters the page by it. `note` says what a reader would otherwise wonder."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    dimension: str | None = None
    empty: str = "Nothing in this range."
    note: str = ""
    wide: bool = False  # as wide as the page in a grid of tables (many columns)
    overlap: str = ""  # what a visitor may have several of (a source): the page says so when shares pass 100%


def asked(request: Request) -> str | None:
    """The table whose CSV the request asks for (`format=csv&table=name`), else None."""
    query = request.query_params
    return query.get("table") if query.get("format") == "csv" else None


def csv_response(table: Table, *parts: str) -> Response:
    """The table as a CSV download named after `parts` (the site, the table, the days)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join((*parts, table.name))) + ".csv"
    return csv_download([c.key for c in table.columns], table.rows, name)


def download(asked: str, table: Table, rows: list[dict[str, Any]], *parts: str) -> Response:
    """A page's one table with these rows as CSV (named after `parts`), or the 404 for another name."""
    if asked != table.name:
        return not_a_table(asked)
    return csv_response(dataclasses.replace(table, rows=rows), *parts)


def not_a_table(name: str) -> Response:
    return Response(f"No table named {name!r} on this page.\n", status_code=404, media_type="text/plain")
