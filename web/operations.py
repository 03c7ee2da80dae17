"""An API operation described as data beside its handler: its path and method, its parameters as
Structs, its body's and answers' types. web/openapi.py makes the OpenAPI document from them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

JSON = "application/json"
CSV = "text/csv"


def csv_download(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], filename: str) -> Response:
    """A header of the columns and one line per row (a missing or null value is an empty field), as an
    attachment named `filename`: every CSV the API and the dashboard answer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name in columns])
    return Response(out.getvalue(), media_type=f"{CSV}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@dataclass(frozen=True)
class Answer:
    """One status's answer: its description and, when it is described, the type of its body."""

    description: str
    body: Any = None  # or a tuple of the types it may be
    media: str = JSON
    also: tuple[str, ...] = ()  # further media types of the same answer, undescribed (a PNG)


@dataclass(frozen=True)
class Body:
    """A request body: its type, read as JSON."""

    type: Any
    description: str = ""
    required: bool = True


@dataclass(frozen=True)
class Operation:
    """One method of one route. A field of `params` named in the path (`{site}`) is a path
    parameter, any other a query parameter. Every status from 400 up, in `answers` (with its own
    description) or in `errors` (with the usual one), answers the body `{"error", "field"}`; an
    operation that is not `public` can also answer 401 and 403."""

    method: str
    path: str
    summary: str
    answers: dict[int, Answer | str]
    params: tuple[type, ...] = ()
    body: Body | None = None
    errors: tuple[int, ...] = (400,)
    public: bool = False
