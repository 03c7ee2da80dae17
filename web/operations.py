"""An API operation described as data beside its handler: its path and method, its parameters as
Structs, its body's and answers' types. web/openapi.py makes the OpenAPI document from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = "application/json"


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
